import Crypto
import Foundation

/// A step the reasoner wants to take: a catalog action with parameters, why,
/// and the retrieved evidence it rests on.
public struct ActionProposed: Sendable, Hashable, Codable {
    public var action: String
    public var parameters: [String: String]
    public var rationale: String
    public var citations: [String]
    public var usage: PlannerUsage?
    /// The problem (alert name) of the incident this step is for; nil for an incident with one problem.
    public var alertname: String?
    public init(action: String, parameters: [String: String], rationale: String, citations: [String],
                usage: PlannerUsage? = nil, alertname: String? = nil) {
        self.action = action; self.parameters = parameters; self.rationale = rationale; self.citations = citations
        self.usage = usage; self.alertname = alertname
    }
}
