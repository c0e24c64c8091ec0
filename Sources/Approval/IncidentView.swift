import Foundation
import IncidentLog

/// One incident as the incident page shows it (`GET /api/v1/incidents/{id}`):
/// its timeline, each triage with every citation's section text, what the
/// diagnostics returned, the approvals still waiting, and what people said.
/// All of it comes from the log; untrusted text is data, shown as text.
struct IncidentView: Encodable {
    struct Entry: Encodable { var at: String; var type: String; var producer: String; var summary: String }
    struct Cited: Encodable {
        var chunk_id: String; var document_id: String; var title: String; var path: String; var section: String
        var lines: String; var text: String?
    }
    struct Step: Encodable { var text: String; var citations: [Cited] }
    struct Weighed: Encodable { var cause: String; var title: String; var status: String; var score: Double }
    struct Triage: Encodable {
        var event_id: String; var at: String; var alertname: String?; var likely_cause: String?; var chosen_because: String?
        var cause_citations: [Cited]; var runbook: String?; var steps: [Step]; var hypotheses: [Weighed]; var unknowns: [String]
    }
    struct Diagnostic: Encodable {
        var request_id: String; var action: String; var parameters: [String: String]; var status: String
        var exit_status: Int32?; var output: String?; var truncated: Bool
    }
    struct Waiting: Encodable {
        var request_id: String; var action: String; var parameters: [String: String]; var risk: String; var rationale: String
        var expires_at: String
    }
    struct Said: Encodable { var at: String; var by: String; var verdict: String; var right_cause: String?; var note: String? }

    var incident_id: String
    var title: String
    var status: String
    var severity: String?
    var service: String?
    var opened_at: String?
    var resolved_at: String?
    var timeline: [Entry]
    var triages: [Triage]
    var diagnostics: [Diagnostic]
    var approvals_waiting: [Waiting]
    var feedback: [Said]

    /// A row of the incident list (`GET /api/v1/incidents`).
    struct Row: Encodable {
        var incident_id: String; var title: String; var status: String; var severity: String?; var service: String?
        var opened_at: String?; var triaged: Bool; var approvals_waiting: Int
    }

    /// Without building the whole view: the list shows every incident the approver holds.
    static func row(_ s: IncidentState) -> Row {
        let triaged = s.events.contains { if case .triageProposed = $0.payload { true } else { false } }
        return Row(incident_id: s.id, title: s.title, status: s.status.rawValue, severity: s.opened?.severity,
                   service: s.opened?.service, opened_at: s.openedAt.map(RFC3339.format), triaged: triaged,
                   approvals_waiting: waiting(s.events).count)
    }

    /// The approval requests no approval, rejection or expiry has answered, by request id.
    static func waiting(_ events: [IncidentEvent]) -> [ApprovalRequested] {
        var requests: [String: ApprovalRequested] = [:]
        var answered = Set<String>()
        for e in events {
            switch e.payload {
            case .approvalRequested(let r): requests[r.requestID] = r
            case .actionApproved(let a): answered.insert(a.requestID)
            case .actionRejected(let r): answered.insert(r.requestID)
            case .approvalExpired(let x): answered.insert(x.requestID)
            default: break
            }
        }
        return requests.values.filter { !answered.contains($0.requestID) }.sorted { $0.requestID < $1.requestID }
    }

    init(_ s: IncidentState) {
        incident_id = s.id
        title = s.title
        status = s.status.rawValue
        severity = s.opened?.severity
        service = s.opened?.service
        opened_at = s.openedAt.map(RFC3339.format)
        resolved_at = s.resolvedAt.map(RFC3339.format)
        var sections: [String: Citation] = [:]
        var proposals: [String: ActionProposed] = [:]
        var requests: [String: ApprovalRequested] = [:]
        var answered = Set<String>()
        var outcomes: [String: (String, ActionExecuted?)] = [:]
        timeline = []
        triages = []
        feedback = []
        for e in s.events {
            let at = RFC3339.format(e.occurredAt)
            timeline.append(Entry(at: at, type: e.type, producer: e.producer, summary: Self.summary(e.payload)))
            switch e.payload {
            case .retrievalCompleted(let r):
                for c in r.postmortems + r.runbooks + r.runbookSections { sections[c.chunkID] = c }
            case .actionProposed(let p): proposals[e.eventID] = p
            case .approvalRequested(let r): requests[r.requestID] = r
            case .actionApproved(let a): answered.insert(a.requestID)
            case .actionRejected(let r): answered.insert(r.requestID); outcomes[r.requestID] = ("rejected", nil)
            case .approvalExpired(let x): answered.insert(x.requestID); outcomes[x.requestID] = ("expired", nil)
            case .actionExecuted(let x): outcomes[x.requestID] = (x.exitStatus == 0 && !x.timedOut ? "succeeded" : "failed", x)
            case .actionFailed(let x): outcomes[x.requestID] = ("could not run: \(x.error)", nil)
            case .actionOutcomeUnknown(let x): outcomes[x.requestID] = ("outcome unknown", nil)
            case .triageFeedback(let f):
                feedback.append(Said(at: at, by: f.by.name, verdict: f.verdict.rawValue, right_cause: f.rightCause, note: f.note))
            default: break
            }
        }
        func cited(_ ids: [String]) -> [Cited] {
            ids.map { id in
                let c = sections[id]
                return Cited(chunk_id: id, document_id: c?.documentID ?? Citation.documentID(ofChunk: id), title: c?.title ?? "",
                             path: c?.path ?? "", section: c?.headingPath ?? "",
                             lines: c.map { "\($0.lineStart)-\($0.lineEnd)" } ?? "", text: c?.text)
            }
        }
        for e in s.events {
            guard case .triageProposed(let t) = e.payload else { continue }
            triages.append(Triage(
                event_id: e.eventID, at: RFC3339.format(e.occurredAt), alertname: t.alertname, likely_cause: t.likelyCause?.text,
                chosen_because: t.chosenBecause, cause_citations: cited(t.likelyCause?.citations ?? []), runbook: t.runbook,
                steps: t.steps.map { Step(text: $0.text, citations: cited($0.citations)) },
                hypotheses: (t.hypotheses ?? []).map { Weighed(cause: $0.cause, title: $0.title, status: $0.status.rawValue, score: $0.score) },
                unknowns: t.unknowns))
        }
        // Every proposal in log order: read-only diagnostics approved by policy and what they printed, and
        // the actions people decided on.
        diagnostics = s.events.compactMap { e in
            guard let p = proposals[e.eventID] else { return nil }
            let id = e.eventID
            let (status, x) = outcomes[id]
                ?? (answered.contains(id) ? "approved, not run yet" : requests[id] != nil ? "waiting for a human" : "proposed", nil)
            return Diagnostic(request_id: id, action: p.action, parameters: p.parameters, status: status, exit_status: x?.exitStatus,
                              output: x?.output, truncated: x?.truncated ?? false)
        }
        approvals_waiting = Self.waiting(s.events)
            .map { Waiting(request_id: $0.requestID, action: $0.action, parameters: $0.parameters, risk: $0.risk,
                           rationale: $0.rationale, expires_at: $0.expiresAt) }
    }

    /// One line per event, from its own fields (untrusted text stays data; the page shows it as text).
    static func summary(_ p: IncidentEventPayload) -> String {
        func params(_ d: [String: String]) -> String { d.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") }
        switch p {
        case .incidentOpened(let o): return "\(o.title) (\(o.severity))"
        case .alertAttached(let a): return "alert \(a.alertname) firing"
        case .alertResolved(let a): return "alert \(a.alertname) resolved"
        case .incidentResolved(let r): return r.reason
        case .retrievalCompleted(let r):
            return r.found ? "\(r.postmortems.count) similar incident(s), \(r.runbooks.count) runbook(s)"
                + (r.linkedRunbook.map { "; the alert's own runbook: \($0.documentID)" } ?? "") : "nothing similar: \(r.reason ?? "")"
        case .actionProposed(let a): return "proposes \(a.action) \(params(a.parameters))"
        case .approvalRequested(let r): return "\(r.risk) \(r.action) waits for a human until \(r.expiresAt)"
        case .actionApproved(let a): return "\(a.action) approved by \(a.approver.name) (\(a.approver.kind.rawValue))"
        case .actionRejected(let r): return "\(r.action) rejected by \(r.approver.name): \(r.reason)"
        case .approvalExpired(let x): return "approval \(x.requestID) expired"
        case .actionStarted(let s): return "\(s.action) started by \(s.executor)"
        case .actionExecuted(let x): return "\(x.action) exited \(x.exitStatus)\(x.timedOut ? " (timed out)" : "") in \(x.durationMs) ms"
        case .actionFailed(let x): return "\(x.action) could not run: \(x.error)"
        case .actionOutcomeUnknown(let x): return "outcome of \(x.requestID) unknown"
        case .triageProposed(let t): return "triage: \(t.likelyCause?.text ?? "cause unknown"), \(t.steps.count) step(s)"
        case .incidentEscalated(let x): return "escalated: \(x.reason)"
        case .triageFeedback(let f): return "\(f.by.name): \(f.verdict.rawValue)\(f.note.map { " — \($0)" } ?? "")"
        case .unknown(let type, _): return type
        }
    }
}
