import DaemonRuntime
import Foundation
import IncidentLog
import OperatorCLI
import TestSupport
import Testing

/// The chaos run's checker on hand-made logs: each invariant caught once, and a clean log passes.
@Suite("aiops chaos: the log checker")
struct LogCheckTests {
    let incident = "inc-0123456789abcdef0123"
    func event(_ producer: String, _ step: String, cause: String = "c", _ payload: IncidentEventPayload) -> IncidentEvent {
        .derived(incidentID: incident, producer: producer, causationID: cause, step: step, trace: .newRoot(), payload: payload)
    }
    var opened: IncidentEvent {
        event("alert-ingestor", "opened", .incidentOpened(IncidentOpened(
            source: .alertmanager, groupKey: "g", title: "A", severity: "critical", service: nil, receiver: "aiops", externalURL: nil,
            labels: ["alertname": "A"], annotations: [:])))
    }
    func attached(_ name: String, id: String) -> IncidentEvent {
        event("alert-ingestor", "attach-\(id)", .alertAttached(AlertAttached(alertID: id, fingerprint: id, alertname: name,
                                                                          startsAt: "2026-11-29T06:00:00.000Z", generatorURL: nil,
                                                                          labels: ["alertname": name], annotations: [:])))
    }
    func retrieval(_ name: String) -> IncidentEvent {
        var r = RetrievalCompleted(query: name, found: false, reason: "nothing", model: "m", postmortems: [], runbooks: [])
        r.alertname = name
        return event("retriever", "retrieve:\(name)", .retrievalCompleted(r))
    }
    func triage(_ name: String, step: String = "triage") -> IncidentEvent {
        event("reasoner", "\(step)@\(name)", .triageProposed(TriageProposed(steps: [], likelyCause: nil, runbook: nil, unknowns: [],
                                                                           rejectedSteps: [], observations: [], alertname: name)))
    }
    func approval(_ request: String, key: ProducerKey = TestKeys.key("approver")) throws -> IncidentEvent {
        let a = try ActionApproved(requestID: TestIDs.request(request), action: "svc.restart", parameters: ["target": "x"], risk: "destructive",
                                   approver: Approver(name: "alice", kind: .human), reason: "ok", issuedAt: Date(), validFor: 600)
            .signed(incidentID: incident, key: key)
        return event("approver", "approve-\(request)", .actionApproved(a))
    }
    func started(_ request: String, step: String) -> IncidentEvent {
        event("executor", step, .actionStarted(ActionStarted(requestID: TestIDs.request(request), action: "svc.restart", parameters: ["target": "x"],
                                                             risk: "destructive", executor: "executor")))
    }
    let check = LogCheck(keyring: TestKeys.keyring)
    let none = LogCheck.Sent(acceptedAlertIDs: [], injected: [])

    @Test func aCleanLogPasses() throws {
        let log = [opened, attached("A", id: "a1"), retrieval("A"), triage("A"), try approval("r1"), started("r1", step: "s")]
        let r = check.check(events: log, deadLetters: [], sent: LogCheck.Sent(acceptedAlertIDs: ["a1"], injected: []))
        #expect(r.ok, "\(r.table)")
        #expect(r.problems == 1 && r.alertsAccepted == 1)
    }

    @Test func eachBrokenInvariantIsCounted() throws {
        let injectedValue = Array("{bad".utf8)
        let approved = try approval("r1")
        let log = [opened, attached("A", id: "a1"), attached("B", id: "b1"), retrieval("A"), retrieval("B"),
                   triage("A"), triage("A", step: "again"),                        // A triaged twice, B never
                   approved, started("r1", step: "s1"), started("r1", step: "s2"), // destructive twice
                   started("r2", step: "s3"),                                      // no approval at all
                   try approval("r3", key: TestKeys.key("reasoner")), started("r3", step: "s4")] // signed by the wrong key
        let approvalRecord = try IncidentEventCodec.encode(try approval("r9"), topics: TopicSet())
        let letters = [
            DeadLetter(sourceTopic: "aiops.incidents.v1", sourcePartition: 0, sourceOffset: 1, sourceKey: incident,
                       value: approvalRecord.value, consumerGroup: "aiops-executor", error: "the ledger is gone", attempts: 5,
                       failedAt: Date()),
            DeadLetter(sourceTopic: "aiops.incidents.v1", sourcePartition: 0, sourceOffset: 2, sourceKey: nil, value: Array("x".utf8),
                       consumerGroup: "aiops-reasoner", error: "rejected (unsigned): no aiops-auth header", attempts: 0,
                       failedAt: Date()),
        ]
        let r = check.check(events: log, deadLetters: letters,
                            sent: LogCheck.Sent(acceptedAlertIDs: ["a1", "b1", "lost1"], injected: [injectedValue]),
                            daemonsDown: ["retriever"])
        #expect(!r.ok)
        #expect(r.alertsLost == 1)
        #expect(r.triagesDoubled == 1)
        #expect(r.stuck == 1, "B has a retrieval and nothing else")
        #expect(r.destructiveStartedTwice == 1)
        #expect(r.startedWithoutValidApproval == 2)
        #expect(r.deadLetteredWithoutEscalation == 1, "\(r.table)")
        #expect(r.injectedNotDeadLettered == 1)
        #expect(r.daemonsDown == ["retriever"])
        #expect(r.deadLettersByReason == ["handler": 1, "rejected (unsigned)": 1])
        let json = String(decoding: try JSONEncoder().encode(r), as: UTF8.self)
        #expect(json.contains("\"ok\":false") && json.contains("\"lost\":1"))
    }

    @Test func anEscalationAnswersADeadLetterAndAResolvedIncidentIsNotStuck() throws {
        let approvalEvent = try approval("r9")
        let record = try IncidentEventCodec.encode(approvalEvent, topics: TopicSet())
        let letter = DeadLetter(sourceTopic: "aiops.incidents.v1", sourcePartition: 0, sourceOffset: 1, sourceKey: incident,
                                value: record.value, consumerGroup: "aiops-executor", error: "x", attempts: 5, failedAt: Date())
        let escalation = event("executor", "escalate:dead-letter", cause: approvalEvent.eventID,
                               .incidentEscalated(IncidentEscalated(reason: "could not", summary: "s")))
        let log = [opened, attached("A", id: "a1"), retrieval("A"), escalation]
        #expect(check.check(events: log, deadLetters: [letter], sent: none).ok)
        #expect(check.check(events: Array(log.dropLast()), deadLetters: [letter], sent: none).deadLetteredWithoutEscalation == 1)
        let resolved = [opened, attached("A", id: "a1"), retrieval("A"),
                        event("alert-ingestor", "resolved", .incidentResolved(IncidentResolved(reason: "all resolved")))]
        #expect(check.check(events: resolved, deadLetters: [], sent: none).stuck == 0)
    }
}

@Suite("aiops chaos: the command")
struct ChaosCommandTests {
    /// A typo in --kill is refused before anything is made: no database, no daemons, and the message names the six.
    @Test func anUnknownDaemonToKillIsRefusedBeforeAnythingStarts() async throws {
        let run = try await TestCommand.run(".build/debug/aiops", ["chaos", "--kill", "retriever,reasonr", "--json"],
                                            environment: ["DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
                                                          "EMBEDDINGS_URL": "http://127.0.0.1:1/v1"])
        #expect(run.status != 0)
        #expect(run.stderr.contains("--kill: no daemon reasonr"), "\(run.stderr)")
        #expect(run.stderr.contains("alert-ingestor, embedder, retriever, reasoner, approver, executor"), "\(run.stderr)")
        #expect(run.stdout.isEmpty, "nothing started, nothing reported")
    }
}
