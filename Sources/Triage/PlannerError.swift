import Actions
import Foundation
import IncidentLog

/// A planner failed for good (after its own retries): the reasoner escalates with the reason.
public struct PlannerError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var usage: PlannerUsage?
    public init(_ message: String, usage: PlannerUsage? = nil) { self.message = message; self.usage = usage }
    public var description: String { "planner: \(message)" }
}
