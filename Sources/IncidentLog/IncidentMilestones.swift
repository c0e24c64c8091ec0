import Foundation

/// When each incident reached the milestones of its handling, folded event by
/// event: triaged (its first TriageProposed), decided (the first decision a
/// human made on one of its approval requests) and mitigated (the first
/// destructive action that ran and exited 0), each measured from the
/// incident's opening (the ingestor's receipt of the first alert) and from the
/// earliest alert's `startsAt` (when the condition began). One definition for
/// the exporter's histograms and `aiops report mttt`.
public struct IncidentMilestones: Sendable {
    public enum Milestone: String, Sendable, CaseIterable { case triaged, decided, mitigated }

    public struct Reached: Sendable, Equatable {
        public var incidentID: String
        public var milestone: Milestone
        /// Seconds since the incident opened.
        public var sinceOpened: Double
        /// Seconds since its earliest alert's `startsAt`, when known.
        public var sinceStart: Double?
    }

    private var opened: [String: Date] = [:]
    private var started: [String: Date] = [:]
    private var reached: [String: Set<Milestone>] = [:]
    /// Approved requests' risk per incident, to tell a mitigation from a diagnostic.
    private var risks: [String: [String: String]] = [:]

    public init() {}

    /// Folds one event in; returns the milestones it completed.
    public mutating func apply(_ e: IncidentEvent) -> [Reached] {
        let id = e.incidentID
        switch e.payload {
        case .incidentOpened:
            opened[id] = opened[id] ?? e.occurredAt
        case .alertAttached(let a):
            if let t = RFC3339.parse(a.startsAt), started[id].map({ t < $0 }) ?? true { started[id] = t }
        case .triageProposed:
            return reach(.triaged, e)
        case .actionApproved(let a):
            risks[id, default: [:]][a.requestID] = a.risk
            if a.approver.kind == .human { return reach(.decided, e) }
        case .actionRejected:
            return reach(.decided, e)
        case .actionExecuted(let x) where x.exitStatus == 0 && !x.timedOut && risks[id]?[x.requestID] == "destructive":
            return reach(.mitigated, e)
        default:
            break
        }
        return []
    }

    private mutating func reach(_ m: Milestone, _ e: IncidentEvent) -> [Reached] {
        guard let start = opened[e.incidentID], reached[e.incidentID, default: []].insert(m).inserted else { return [] }
        return [Reached(incidentID: e.incidentID, milestone: m, sinceOpened: max(0, e.occurredAt.timeIntervalSince(start)),
                        sinceStart: started[e.incidentID].map { max(0, e.occurredAt.timeIntervalSince($0)) })]
    }

    /// Drops what is kept of an incident (a long-running fold forgets incidents resolved long ago).
    public mutating func forget(_ incident: String) {
        opened[incident] = nil
        started[incident] = nil
        reached[incident] = nil
        risks[incident] = nil
    }
}
