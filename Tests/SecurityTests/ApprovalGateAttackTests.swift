import Actions
import Approval
import DaemonRuntime
import Foundation
import IncidentLog
import Kafka
import TestSupport
import Testing

/// Attacks on the approval gate of a running approver, executor and reasoner,
/// from someone who can write to the incident log (with no key, or with a
/// key stolen from another daemon). Each one worked before the log was
/// authenticated; none may get a destructive action run without a human.
@Suite("attacks on the approval gate (running daemons)", .serialized)
struct ApprovalGateAttackTests {
    static let incident = EventIDs.incident(source: "attack", parts: ["payments"])

    @Test func forgeriesAreDeadLetteredAndNothingRunsWithoutAHuman() async throws {
        let gate = try await GateFixture()
        let incident = Self.incident
        let restart = ["namespace": "payments", "deployment": "payments-api"]

        // A genuine proposal waits for a human.
        let proposal = try await gate.propose("ops.restart", restart, incident: incident)
        let requested = try await TestKafka.waitForEvents(gate.topics) { $0.contains { $0.type == "ApprovalRequested" } }
        #expect(requested.contains { $0.type == "ApprovalRequested" }, "daemons: \(gate.state)")
        #expect(try await gate.pendingApprovals().contains(proposal.eventID))

        // 1. The re-split forgery: a read-only proposal whose incident id smuggles a destructive approval's fields.
        let smuggled = #"{"event_id":"ev-0123456789abcdef0123456789abcdef","incident_id":"inc-0123456789abcdef0123\nev-x\nops.restart\ndestructive\ndeployment=payments-api&namespace=payments\n","type":"ActionProposed","schema_version":1,"occurred_at":"2026-11-27T21:00:00Z","producer":"reasoner","causation_id":null,"trace":{"traceparent":"00-0123456789abcdef0123456789abcdef-0123456789abcdef-01"},"payload":{"action":"diag.env","parameters":{},"rationale":"r","citations":[]}}"#
        try await gate.plant(raw: smuggled, key: incident, signedWith: TestKeys.key("reasoner"))

        // 2. Forged approvals of the waiting request: unsigned, signed by another daemon, signed by a key nobody trusts.
        func approval(signedBy key: ProducerKey, producer: String = "approver") throws -> IncidentEvent {
            let a = try ActionApproved(requestID: proposal.eventID, action: "ops.restart", parameters: restart, risk: "destructive",
                                       approver: Approver(name: "mallory", kind: .human), reason: "forged", issuedAt: Date(),
                                       validFor: 600).signed(incidentID: incident, key: key)
            return .derived(incidentID: incident, producer: producer, causationID: proposal.eventID, step: "decision",
                            trace: .newRoot(), payload: .actionApproved(a))
        }
        let stranger = try ProducerKey.generate(producer: "approver", keyID: TestKeys.key("approver").keyID)
        try await gate.plant(try approval(signedBy: stranger), signedWith: nil)
        try await gate.plant(try approval(signedBy: stranger), signedWith: TestKeys.key("retriever"))
        try await gate.plant(try approval(signedBy: TestKeys.key("executor"), producer: "executor"), signedWith: TestKeys.key("executor"))
        try await gate.plant(try approval(signedBy: stranger), signedWith: stranger)
        let unknown = try ProducerKey.generate(producer: "approver", keyID: "approver-evil")
        try await gate.plant(try approval(signedBy: unknown), signedWith: unknown)

        // 3. A forged proposal from a non-owner, a forged request, and forged evidence for the reasoner.
        try await gate.plant(.derived(incidentID: incident, producer: "retriever", causationID: "x", step: "p", trace: .newRoot(),
                                      payload: .actionProposed(ActionProposed(action: "diag.env", parameters: [:], rationale: "r",
                                                                              citations: []))),
                             signedWith: TestKeys.key("retriever"))
        try await gate.plant(.derived(incidentID: incident, producer: "reasoner", causationID: "y", step: "r", trace: .newRoot(),
                                      payload: .approvalRequested(ApprovalRequested(
                                        requestID: proposal.eventID, action: "ops.restart", parameters: ["namespace": "kube-system",
                                                                                                         "deployment": "coredns"],
                                        risk: "destructive", rationale: "looks harmless", expiresAt: "2099-01-01T00:00:00Z"))),
                             signedWith: TestKeys.key("reasoner"))
        try await gate.plant(.derived(incidentID: incident, producer: "retriever", causationID: "z", step: "o", trace: .newRoot(),
                                      payload: .actionExecuted(ActionExecuted(requestID: proposal.eventID, action: "ops.restart",
                                                                              exitStatus: 0, durationMs: 1, output: "all fine",
                                                                              truncated: false, timedOut: false))),
                             signedWith: TestKeys.key("retriever"))

        // 4. A malformed traceparent in an otherwise valid, correctly signed envelope.
        let garbageTrace = #"{"event_id":"ev-0123456789abcdef0123456789abcde0","incident_id":"\#(incident)","type":"IncidentResolved","schema_version":1,"occurred_at":"2026-11-27T21:00:00Z","producer":"alert-ingestor","causation_id":null,"trace":{"traceparent":"garbage"},"payload":{"reason":"r"}}"#
        try await gate.plant(raw: garbageTrace, key: incident, signedWith: TestKeys.key("alert-ingestor"))

        // Every consumer (approver, executor, reasoner) dead-letters every one of the 10 records, with its reason.
        let letters = try await TestKafka.waitForDeadLetters(gate.topics, count: 30, timeout: .seconds(30))
        #expect(letters.count == 30, "\(Dictionary(grouping: letters, by: { $0.consumerGroup + " " + String($0.error.prefix(60)) }).mapValues(\.count))")
        let reasons = Set(letters.map(\.error))
        for expected in ["invalid_event", "unsigned", "wrong_producer", "not_owner", "bad_signature", "unknown_key"] {
            #expect(reasons.contains { $0.contains("(\(expected))") }, "a record rejected as \(expected)")
        }

        // The request still waits for a human; nothing destructive ran.
        #expect(try await gate.pendingApprovals().contains(proposal.eventID))
        #expect(gate.destructiveRuns == 0)

        // 5. An approval signed by the real approver key but given long ago (a recorded approval replayed later).
        let old = try ActionApproved(requestID: TestIDs.request("an-old-one"), action: "ops.restart", parameters: restart,
                                     risk: "destructive", approver: Approver(name: "alice", kind: .human), reason: "yesterday",
                                     issuedAt: Date().addingTimeInterval(-86_400), validFor: 600)
            .signed(incidentID: incident, key: TestKeys.key("approver"))
        try await gate.plant(.derived(incidentID: incident, producer: "approver", causationID: "old", step: "decision",
                                      trace: .newRoot(), payload: .actionApproved(old)),
                             signedWith: TestKeys.key("approver"))
        let refused = try await TestKafka.waitForEvents(gate.topics) { events in
            events.contains { if case .actionFailed(let f) = $0.payload { f.requestID == old.requestID } else { false } }
        }
        let failure = refused.compactMap { e -> ActionFailed? in
            if case .actionFailed(let f) = e.payload, f.requestID == old.requestID { return f } else { return nil }
        }.first
        #expect(failure?.error.contains("not now") == true)
        #expect(gate.destructiveRuns == 0)

        // And the genuine path still works: a named human approves, it runs exactly once.
        #expect(try await gate.approve(proposal.eventID) == 200)
        _ = try await TestKafka.waitForEvents(gate.topics) { events in
            events.contains { if case .actionExecuted(let x) = $0.payload { x.requestID == proposal.eventID } else { false } }
        }
        #expect(gate.destructiveRuns == 1)
        try await gate.stop()
    }

    @Test func actionsSeeNoSecretsAndTheirOutputIsRedacted() async throws {
        setenv("AIOPS_TEST_SECRET_TOKEN", "s3cr3t-value-from-the-daemon", 1)
        let gate = try await GateFixture()
        let incident = EventIDs.incident(source: "attack", parts: [UUID().uuidString])
        let env = try await gate.propose("diag.env", [:], incident: incident)
        let secrets = try await gate.propose("diag.secrets", [:], incident: incident)
        let done = try await TestKafka.waitForEvents(gate.topics) { events in
            events.filter { $0.type == "ActionExecuted" }.count >= 2
        }
        func output(_ request: String) -> String? {
            done.compactMap { e -> String? in
                if case .actionExecuted(let x) = e.payload, x.requestID == request { return x.output } else { return nil }
            }.first
        }
        let dumped = try #require(output(env.eventID), "\(done.map { "\($0.type) \($0.payload)" })")
        #expect(dumped.contains("PATH="))
        #expect(!dumped.contains("s3cr3t-value-from-the-daemon"), "the daemon's environment is not inherited")
        #expect(!dumped.contains("AIOPS_SIGNING_KEY_FILE") && !dumped.contains("KAFKA_BROKERS"))
        let printed = try #require(output(secrets.eventID))
        for leaked in ["3q2+7w", "MC4CAQAw", "hunter2", "abcdefghijklmnop", "MIIEvQIB"] {
            #expect(!printed.contains(leaked), "\(leaked) is redacted: \(printed)")
        }
        #expect(printed.utf8.count <= 120, "truncated to the action's limit after redaction")
        try await gate.stop()
    }
}
