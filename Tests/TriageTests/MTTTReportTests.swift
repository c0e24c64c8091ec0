import Corpus
import Foundation
import IncidentLog
import OperatorCLI
import TestSupport
import Testing

/// `aiops report mttt`'s figures: the log's milestones per incident, the
/// postmortems' front matter as the baseline, grouped by service and the type
/// of the cause the triage chose.
@Suite("aiops report mttt")
struct MTTTReportTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func event(_ incident: String, _ producer: String, _ step: String, at: Double, _ payload: IncidentEventPayload) -> IncidentEvent {
        .derived(incidentID: incident, producer: producer, causationID: incident, step: step, trace: .newRoot(),
                 occurredAt: t0.addingTimeInterval(at), payload: payload)
    }

    @Test func assistedIncidentsSitNextToThePostmortemsOfTheirServiceAndType() throws {
        let (postmortem, _) = try CorpusDocument.parse(path: "postmortems/pool.md", text: """
            ---
            id: postmortems/pool
            kind: postmortem
            title: Pool exhausted
            services: [payments-api]
            incident_type: saturation
            detected_at: "2025-01-14T09:19:00Z"
            triaged_at: "2025-01-14T09:41:00Z"
            mitigated_at: "2025-01-14T09:50:00Z"
            ---
            # Pool exhausted
            """)
        #expect(postmortem.detectedAt == "2025-01-14T09:19:00Z" && postmortem.mitigatedAt == "2025-01-14T09:50:00Z")

        let id = EventIDs.incident(source: "alertmanager", parts: [UUID().uuidString])
        let request = TestIDs.request("restart")
        let opened = IncidentOpened(source: .alertmanager, groupKey: "g", title: "PaymentsAPIHighLatency", severity: "critical",
                                    service: "payments-api", receiver: "aiops", externalURL: nil,
                                    labels: ["alertname": "PaymentsAPIHighLatency", "service": "payments-api"], annotations: [:])
        var triage = TriageProposed(steps: [], likelyCause: nil, runbook: nil, unknowns: [], rejectedSteps: [], observations: [])
        triage.hypotheses = [Hypothesis(cause: "postmortems/pool", title: "Pool exhausted", status: .supported, score: 2,
                                        evidenceFor: ["pending threads"], evidenceAgainst: [], citations: [], observations: [])]
        let approved = try ActionApproved(requestID: request, action: "kubectl.scale", parameters: ["replicas": "6"], risk: "destructive",
                                          approver: Approver(name: "alice", kind: .human), reason: "ok", issuedAt: t0, validFor: 600)
            .signed(incidentID: id, key: TestKeys.key("approver"))
        let log = [
            event(id, "alert-ingestor", "opened", at: 0, .incidentOpened(opened)),
            event(id, "alert-ingestor", "attach", at: 0, .alertAttached(AlertAttached(
                alertID: "a1", fingerprint: "f1", alertname: "PaymentsAPIHighLatency", startsAt: RFC3339.format(t0.addingTimeInterval(-180)),
                generatorURL: nil, labels: ["alertname": "PaymentsAPIHighLatency"], annotations: [:]))),
            event(id, "reasoner", "triage", at: 2, .triageProposed(triage)),
            event(id, "reasoner", "triage-again", at: 9, .triageProposed(triage)),
            event(id, "approver", "decision", at: 60, .actionApproved(approved)),
            event(id, "executor", "outcome", at: 75, .actionExecuted(ActionExecuted(
                requestID: request, action: "kubectl.scale", exitStatus: 0, durationMs: 900, output: "scaled", truncated: false, timedOut: false))),
        ]
        let report = MTTTReport(states: [IncidentState(id: id, events: log)], postmortems: [postmortem])
        let row = try #require(report.rows.first { $0.service == "payments-api" && $0.type == "saturation" })
        #expect(row.incidents == 1 && row.postmortems == 1)
        #expect(row.triage == [2] && row.triageFromStart == [182], "the first triage, from receipt and from the alert's start")
        #expect(row.decision == [60] && row.mitigation == [75])
        #expect(row.baselineTriage == [22 * 60] && row.baselineMitigation == [31 * 60])
        #expect(report.table().contains("all: aiops triaged 1 of 1 incident(s), p50 2.0 s from receipt (3 min from the alert's start)"),
                "\(report.table())")

        // A diagnostic that ran is not a mitigation; an incident without a chosen cause has the type unknown.
        let other = EventIDs.incident(source: "alertmanager", parts: [UUID().uuidString])
        let diag = try ActionApproved(requestID: TestIDs.request("top"), action: "kubectl.top-pods", parameters: [:], risk: "read_only",
                                      approver: Approver(name: "policy", kind: .policy), reason: "read-only", issuedAt: t0, validFor: 600)
            .signed(incidentID: other, key: TestKeys.key("approver"))
        let second = MTTTReport(states: [IncidentState(id: other, events: [
            event(other, "alert-ingestor", "opened", at: 0, .incidentOpened(opened)),
            event(other, "approver", "decision", at: 1, .actionApproved(diag)),
            event(other, "executor", "outcome", at: 3, .actionExecuted(ActionExecuted(
                requestID: TestIDs.request("top"), action: "kubectl.top-pods", exitStatus: 0, durationMs: 9, output: "", truncated: false,
                timedOut: false))),
        ])], postmortems: [])
        let r = try #require(second.rows.first)
        #expect(second.rows.count == 1 && r.service == "payments-api" && r.type == "unknown" && r.incidents == 1)
        #expect(r.triage.isEmpty && r.decision.isEmpty && r.mitigation.isEmpty, "a policy approval is no human decision, a diagnostic no mitigation")
    }
}
