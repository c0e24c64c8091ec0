import Foundation
import IncidentLog

/// The domain figures of the incident log, folded event by event (what
/// `aiops exporter` serves): incidents by state, events by type, time to
/// triage, approvals waiting, decisions, action outcomes, planner usage. Pure.
public struct LogMetrics: Sendable {
    public private(set) var eventsByType: [String: Int] = [:]
    public private(set) var decisions: [String: Int] = [:]
    public private(set) var outcomes: [String: Int] = [:]
    public private(set) var plannerTokens: [String: Int] = [:]
    public private(set) var plannerCalls: [String: Int] = [:]
    /// What people said of triages, by verdict.
    public private(set) var feedback: [String: Int] = [:]
    /// Seconds from an incident's opening to the triage of each of its alert names, as they happen.
    public private(set) var timesToTriage: [Double] = []
    private var opened: [String: Date] = [:]
    private var resolved: Set<String> = []
    private var escalated: Set<String> = []
    private var triaged: Set<String> = []
    /// Requests waiting for a human, with when they were asked.
    private var waiting: [String: Date] = [:]
    private var seen: Set<String> = []
    private var milestones = IncidentMilestones()
    /// The milestones (triaged, decided, mitigated) the last applied event completed.
    public private(set) var lastReached: [IncidentMilestones.Reached] = []

    public init() {}

    /// Folds one event in (a duplicate id is ignored); returns the time to triage it completed, if any.
    @discardableResult
    public mutating func apply(_ e: IncidentEvent) -> Double? {
        lastReached = []
        guard seen.insert(e.eventID).inserted else { return nil }
        eventsByType[e.type, default: 0] += 1
        lastReached = milestones.apply(e)
        var ttt: Double?
        switch e.payload {
        case .incidentOpened: opened[e.incidentID] = e.occurredAt
        case .incidentResolved: resolved.insert(e.incidentID)
        case .incidentEscalated: escalated.insert(e.incidentID)
        case .triageProposed(let t):
            countUsage(t.usage)
            if triaged.insert("\(e.incidentID)/\(t.alertname ?? "")").inserted, let start = opened[e.incidentID] {
                ttt = max(0, e.occurredAt.timeIntervalSince(start))
                timesToTriage.append(ttt!)
            }
        case .actionProposed(let p): countUsage(p.usage)
        case .approvalRequested(let r): waiting[r.requestID] = e.occurredAt
        case .actionApproved(let a):
            decisions[a.approver.kind == .human ? "approved_by_human" : "approved_by_policy", default: 0] += 1
            waiting[a.requestID] = nil
        case .actionRejected(let r):
            decisions["rejected", default: 0] += 1
            waiting[r.requestID] = nil
        case .approvalExpired(let x):
            decisions["expired", default: 0] += 1
            waiting[x.requestID] = nil
        case .actionExecuted(let x): outcomes[x.exitStatus == 0 ? "succeeded" : (x.timedOut ? "timed_out" : "failed"), default: 0] += 1
        case .actionFailed: outcomes["refused_or_not_run", default: 0] += 1
        case .actionOutcomeUnknown: outcomes["unknown", default: 0] += 1
        case .triageFeedback(let f): feedback[f.verdict.rawValue, default: 0] += 1
        default: break
        }
        if case .incidentEscalated(let x) = e.payload { countUsage(x.usage) }
        return ttt
    }

    private mutating func countUsage(_ u: PlannerUsage?) {
        guard let u else { return }
        let key = "\(u.planner)|\(u.model ?? "")"
        plannerTokens[key, default: 0] += u.totalTokens
        plannerCalls[key, default: 0] += u.calls
    }

    /// Incidents by state: open (neither resolved nor escalated), resolved, escalated (and not resolved).
    public var incidents: [String: Int] {
        let open = opened.keys.filter { !resolved.contains($0) && !escalated.contains($0) }.count
        return ["open": open, "resolved": resolved.count, "escalated": escalated.subtracting(resolved).count]
    }

    public var approvalsWaiting: Int { waiting.count }
    public func oldestWaitingSeconds(now: Date = Date()) -> Double {
        waiting.values.min().map { max(0, now.timeIntervalSince($0)) } ?? 0
    }
}
