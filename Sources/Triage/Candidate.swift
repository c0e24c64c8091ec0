import Actions
import Foundation
import IncidentLog

/// An action the planner would take, with the sections it comes from.
public struct Candidate: Sendable, Hashable {
    public var action: String
    public var parameters: [String: String]
    public var risk: ActionRisk
    public var rationale: String
    public var citations: [String]
    public init(action: String, parameters: [String: String], risk: ActionRisk, rationale: String, citations: [String]) {
        self.action = action; self.parameters = parameters; self.risk = risk; self.rationale = rationale
        self.citations = citations
    }
}
