import Foundation
import IncidentLog

/// The domain figures of the incident log, folded event by event (what
/// `aiops exporter` serves): incidents by state, events by type, time to
/// triage, approvals waiting, decisions, action outcomes, planner usage. Pure.
///
/// It follows the log for as long as the exporter runs, so what it keeps per
/// incident (event ids for deduplication, opening time, triaged alert names,
/// milestones, waiting requests) is dropped once the log has moved `retain`
/// seconds past the incident's resolution, like the daemons' snapshots
/// (`AIOPS_SNAPSHOT_RETAIN_HOURS`); totals stay. A duplicate of an event of an
/// incident forgotten that way would be counted again.
public struct LogMetrics: Sendable {
    public private(set) var eventsByType: [String: Int] = [:]
    public private(set) var decisions: [String: Int] = [:]
    public private(set) var outcomes: [String: Int] = [:]
    public private(set) var plannerTokens: [String: Int] = [:]
    public private(set) var plannerCalls: [String: Int] = [:]
    /// What people said of triages, by verdict.
    public private(set) var feedback: [String: Int] = [:]
    /// Seconds a resolved incident's state is kept, counted on the log's own clock (its newest event).
    public let retain: TimeInterval

    struct Incident {
        var opened: Date?
        var lastEvent = Date.distantPast
        var escalated = false
        var resolvedAt: Date?
        var seen: Set<String> = []
        var triaged: Set<String> = []
        /// Its requests waiting for a human, with when they were asked.
        var waiting: [String: Date] = [:]
    }
    private var live: [String: Incident] = [:]
    /// Resolved incidents already forgotten.
    private var forgottenResolved = 0
    private var milestones = IncidentMilestones()
    private var newest = Date.distantPast
    private var sincePrune = 0
    /// The milestones (triaged, decided, mitigated) the last applied event completed.
    public private(set) var lastReached: [IncidentMilestones.Reached] = []

    public init(retain: TimeInterval = 24 * 3600) { self.retain = retain }

    /// Folds one event in (a duplicate id is ignored); returns the time to triage it completed, if any.
    @discardableResult
    public mutating func apply(_ e: IncidentEvent) -> Double? {
        lastReached = []
        let id = e.incidentID
        guard live[id, default: Incident()].seen.insert(e.eventID).inserted else { return nil }
        eventsByType[e.type, default: 0] += 1
        lastReached = milestones.apply(e)
        newest = max(newest, e.occurredAt)
        live[id]!.lastEvent = max(live[id]!.lastEvent, e.occurredAt)
        var ttt: Double?
        switch e.payload {
        case .incidentOpened: live[id]!.opened = live[id]!.opened ?? e.occurredAt
        case .incidentResolved: live[id]!.resolvedAt = e.occurredAt
        case .incidentEscalated(let x):
            live[id]!.escalated = true
            countUsage(x.usage)
        case .triageProposed(let t):
            countUsage(t.usage)
            if live[id]!.triaged.insert(t.alertname ?? "").inserted, let start = live[id]!.opened {
                ttt = max(0, e.occurredAt.timeIntervalSince(start))
            }
        case .actionProposed(let p): countUsage(p.usage)
        case .approvalRequested(let r): live[id]!.waiting[r.requestID] = e.occurredAt
        case .actionApproved(let a):
            decisions[a.approver.kind == .human ? "approved_by_human" : "approved_by_policy", default: 0] += 1
            live[id]!.waiting[a.requestID] = nil
        case .actionRejected(let r):
            decisions["rejected", default: 0] += 1
            live[id]!.waiting[r.requestID] = nil
        case .approvalExpired(let x):
            decisions["expired", default: 0] += 1
            live[id]!.waiting[x.requestID] = nil
        case .actionExecuted(let x): outcomes[x.exitStatus == 0 ? "succeeded" : (x.timedOut ? "timed_out" : "failed"), default: 0] += 1
        case .actionFailed: outcomes["refused_or_not_run", default: 0] += 1
        case .actionOutcomeUnknown: outcomes["unknown", default: 0] += 1
        case .triageFeedback(let f): feedback[f.verdict.rawValue, default: 0] += 1
        default: break
        }
        sincePrune += 1
        if sincePrune >= 10_000 { prune() }
        return ttt
    }

    private mutating func countUsage(_ u: PlannerUsage?) {
        guard let u else { return }
        let key = "\(u.planner)|\(u.model ?? "")"
        plannerTokens[key, default: 0] += u.totalTokens
        plannerCalls[key, default: 0] += u.calls
    }

    /// Forgets the incidents resolved more than `retain` seconds before the newest event, and the late events
    /// (feedback, a straggler) of incidents already forgotten once they are as old.
    public mutating func prune() {
        sincePrune = 0
        let old = live.filter { _, i in
            i.resolvedAt.map { newest.timeIntervalSince($0) > retain }
                ?? (i.opened == nil && newest.timeIntervalSince(i.lastEvent) > retain)
        }
        for (id, incident) in old {
            if incident.resolvedAt != nil { forgottenResolved += 1 }
            milestones.forget(id)
            live[id] = nil
        }
    }

    /// Incidents whose state is kept (open ones and those resolved within `retain`).
    public var keptIncidents: Int { live.count }

    /// Incidents by state: open (neither resolved nor escalated), resolved, escalated (and not resolved).
    public var incidents: [String: Int] {
        var open = 0, resolved = forgottenResolved, escalated = 0
        for i in live.values {
            if i.resolvedAt != nil { resolved += 1 } else if i.escalated { escalated += 1 } else if i.opened != nil { open += 1 }
        }
        return ["open": open, "resolved": resolved, "escalated": escalated]
    }

    public var approvalsWaiting: Int { live.values.reduce(0) { $0 + $1.waiting.count } }
    public func oldestWaitingSeconds(now: Date = Date()) -> Double {
        live.values.compactMap { $0.waiting.values.min() }.min().map { max(0, now.timeIntervalSince($0)) } ?? 0
    }
}
