import Crypto
import Foundation

public struct IncidentEscalated: Sendable, Hashable, Codable {
    public var reason: String
    public var summary: String
    /// What the planner spent on the attempt that ended in the escalation, if anything.
    public var usage: PlannerUsage?
    /// Set when only one problem (alert name) of the incident is handed to humans; nil: the whole incident.
    public var alertname: String?
    public init(reason: String, summary: String, usage: PlannerUsage? = nil, alertname: String? = nil) {
        self.reason = reason; self.summary = summary; self.usage = usage; self.alertname = alertname
    }
}
