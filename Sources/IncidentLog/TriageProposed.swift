import Crypto
import Foundation

/// The reasoner's triage: ordered steps, each citing evidence this incident's
/// retrieval returned, the likely cause, the runbook to follow, what is unknown.
public struct TriageProposed: Sendable, Hashable, Codable {
    public struct Step: Sendable, Hashable, Codable {
        public var text: String
        public var citations: [String]
        public init(text: String, citations: [String]) { self.text = text; self.citations = citations }
    }
    public struct Cause: Sendable, Hashable, Codable {
        public var text: String
        public var confidence: Double
        public var citations: [String]
        public init(text: String, confidence: Double, citations: [String]) {
            self.text = text; self.confidence = confidence; self.citations = citations
        }
    }
    public var steps: [Step]
    public var likelyCause: Cause?
    /// Chunk id of the runbook section to follow.
    public var runbook: String?
    public var unknowns: [String]
    /// Steps dropped by the citation check (cited something retrieval did not return).
    public var rejectedSteps: [Step]
    /// Request ids of the diagnostics whose results the triage saw.
    public var observations: [String]
    public var usage: PlannerUsage?
    /// The problem (alert name) this triage is for; an incident gets one triage per alert name in it.
    public var alertname: String?
    /// The candidate causes, best first, with the evidence for and against each.
    public var hypotheses: [Hypothesis]?
    /// Why the likely cause was chosen (or why none could be).
    public var chosenBecause: String?

    public init(steps: [Step], likelyCause: Cause?, runbook: String?, unknowns: [String], rejectedSteps: [Step],
                observations: [String], usage: PlannerUsage? = nil, alertname: String? = nil) {
        self.steps = steps; self.likelyCause = likelyCause; self.runbook = runbook; self.unknowns = unknowns
        self.rejectedSteps = rejectedSteps; self.observations = observations; self.usage = usage; self.alertname = alertname
    }

    enum CodingKeys: String, CodingKey {
        case steps, runbook, unknowns, observations, usage, alertname, hypotheses
        case chosenBecause = "chosen_because"
        case likelyCause = "likely_cause", rejectedSteps = "rejected_steps"
    }
}
