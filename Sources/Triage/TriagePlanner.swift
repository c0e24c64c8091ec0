import Actions
import Foundation
import IncidentLog

/// The two planners (built-in and LLM) behind one interface.
public protocol TriagePlanner: Sendable {
    var name: String { get }
    func plan(_ context: PlanningContext) async throws -> Plan
}
