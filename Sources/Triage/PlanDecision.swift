import Actions
import Foundation
import IncidentLog

/// What a planner decided for one iteration.
public enum PlanDecision: Sendable {
    /// Take one catalog action (validated by the reasoner again before it is appended).
    case propose(Candidate)
    /// The triage, and optionally a destructive mitigation for a human to approve.
    case triage(TriageProposed, mitigation: Candidate?)
    /// Nothing more to do.
    case done
}
