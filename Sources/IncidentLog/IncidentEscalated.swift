import Crypto
import Foundation

public struct IncidentEscalated: Sendable, Hashable, Codable {
    public var reason: String
    public var summary: String
    /// What the planner spent on the attempt that ended in the escalation, if anything.
    public var usage: PlannerUsage?
    public init(reason: String, summary: String, usage: PlannerUsage? = nil) {
        self.reason = reason; self.summary = summary; self.usage = usage
    }
}
