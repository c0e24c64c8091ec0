import IncidentLog

/// One-line summaries for the timeline.
public enum Timeline {
    public static func summary(_ e: IncidentEvent) -> String {
        switch e.payload {
        case .incidentOpened(let p): "\(p.source.rawValue): \(p.title) (severity \(p.severity)\(p.service.map { ", service \($0)" } ?? ""))"
        case .alertAttached(let p): "\(p.alertname) firing since \(p.startsAt) [\(p.fingerprint)]"
        case .alertResolved(let p): "\(p.alertname) resolved at \(p.endsAt) [\(p.fingerprint)]"
        case .incidentResolved(let p): p.reason
        case .retrievalCompleted(let p):
            (p.alertname.map { "\($0): " } ?? "") + (p.found
                ? "\(p.postmortems.count) postmortem(s), \(p.runbooks.count) runbook(s): " + p.citations.prefix(3).map { "\($0.documentID) §\($0.headingPath.split(separator: ">").last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "")" }.joined(separator: "; ")
                    + (p.linkedRunbook.map { "; the alert's own runbook: \($0.documentID)" } ?? "")
                : "nothing found: \(p.reason ?? "")")
        case .actionApproved(let p): "\(p.action) \(p.parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")) approved by \(p.approver.kind.rawValue) \(p.approver.name)"
        case .actionStarted(let p): "\(p.action) started by \(p.executor)"
        case .actionExecuted(let p): "\(p.action) exited \(p.exitStatus) in \(p.durationMs) ms\(p.timedOut ? " (timed out)" : "")"
        case .actionFailed(let p): "\(p.action) did not run: \(p.error)"
        case .actionOutcomeUnknown(let p): "\(p.action) outcome unknown: \(p.reason)"
        case .incidentEscalated(let p): "escalated\(p.alertname.map { " (\($0))" } ?? ""): \(p.reason)"
        case .actionProposed(let p): (p.alertname.map { "\($0): " } ?? "") + "proposes \(p.action) — \(p.rationale) [\(p.citations.joined(separator: ", "))]"
        case .approvalRequested(let p): "\(p.action) waits for a human until \(p.expiresAt)"
        case .actionRejected(let p): "\(p.action) rejected by \(p.approver.name): \(p.reason)"
        case .approvalExpired(let p): "\(p.action) approval expired"
        case .triageProposed(let p):
            (p.alertname.map { "\($0): " } ?? "") + "\(p.steps.count) step(s); likely cause: \(p.likelyCause?.text ?? "unknown"); runbook \(p.runbook ?? "none")"
                + (p.hypotheses.map { hs in "; hypotheses: " + hs.prefix(4).map { "\($0.cause) \($0.status.rawValue) \($0.score)" }.joined(separator: ", ") } ?? "")
        case .triageFeedback(let p):
            "\(p.by.name) says the triage was \(p.verdict.rawValue.replacingOccurrences(of: "_", with: " "))"
                + (p.rightCause.map { "; right cause: \($0)" } ?? "") + (p.note.map { "; \($0)" } ?? "")
        case .unknown(let type, _): "(\(type))"
        }
    }
}
