import Foundation

/// A candidate cause of an incident (a similar past incident), with what the
/// diagnostics said for and against it: how a triage shows why one cause was
/// chosen over the others.
public struct Hypothesis: Sendable, Hashable, Codable {
    public enum Status: String, Sendable, Hashable, Codable {
        /// The diagnostics observed what this cause leaves behind, clearly more than for the others.
        case supported
        /// Another cause is supported and nothing observed points here.
        case refuted
        /// Not decided by what was observed.
        case unknown
    }
    /// The postmortem it comes from.
    public var cause: String
    public var title: String
    public var status: Status
    /// How strongly the observations point here (sum of the matched terms' weights).
    public var score: Double
    /// What was observed that this cause explains: "kubectl.logs: idle, transaction, refund-worker".
    public var evidenceFor: [String]
    /// Why it was set aside, when it was.
    public var evidenceAgainst: [String]
    /// Sections of the postmortem whose words the observations matched.
    public var citations: [String]
    /// Request ids of the diagnostics whose output matched.
    public var observations: [String]

    public init(cause: String, title: String, status: Status, score: Double, evidenceFor: [String], evidenceAgainst: [String],
                citations: [String], observations: [String]) {
        self.cause = cause; self.title = title; self.status = status; self.score = score; self.evidenceFor = evidenceFor
        self.evidenceAgainst = evidenceAgainst; self.citations = citations; self.observations = observations
    }

    enum CodingKeys: String, CodingKey {
        case cause, title, status, score, citations, observations
        case evidenceFor = "evidence_for", evidenceAgainst = "evidence_against"
    }
}
