import Actions
import Foundation
import IncidentLog

/// Everything a planner may look at for one iteration, rebuilt from the
/// incident's events each time (so a restarted reasoner plans from the same
/// facts). Labels, annotations, section content and action output are
/// untrusted text: a planner may read them, never execute them.
public struct PlanningContext: Sendable {
    public struct Step: Sendable {
        public enum Outcome: Sendable, Hashable {
            case executed(exitStatus: Int32, output: String, truncated: Bool, timedOut: Bool)
            case failed(String)
            case rejected(String)
            case expired
            case unknown(String)
        }
        public var requestID: String
        public var proposal: ActionProposed
        public var outcome: Outcome
    }

    public var incidentID: String
    public var title: String
    public var labels: [String: String]
    public var annotations: [String: String]
    public var retrieval: RetrievalCompleted
    /// The sections this incident's retrieval returned: the only citable evidence.
    public var sections: [EvidenceSection]
    /// Our earlier proposals with their outcomes, oldest first.
    public var history: [Step]
    public var triaged: Bool
    /// Read-only diagnostics may still be proposed (off after no progress, or by configuration).
    public var diagnosticsAllowed: Bool
    /// Why diagnostics stopped, for the triage's unknowns.
    public var concludeReason: String?
    /// Tokens this incident may still spend.
    public var tokensLeft: Int
    /// The alerting rule's expression (from the alert's `generatorURL`), if it carries one.
    public var alertExpression: String? = nil

    public var citable: Set<String> { Set(retrieval.citations.map(\.chunkID)) }
    /// What parameters may name: the incident's labels and its evidence.
    public var provenance: ParameterProvenance {
        ParameterProvenance(labels: labels, sections: sections, expressions: alertExpression.map { [$0] } ?? [])
    }
    public var proposedKeys: Set<String> { Set(history.map { ActionKey.of($0.proposal.action, $0.proposal.parameters) }) }
}
