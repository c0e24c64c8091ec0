import Actions
import Approval
import DaemonRuntime
import Execution
import Foundation
import IncidentLog
import Kafka
import TestSupport
import Testing

let root = TestSchemas.repositoryRoot
let key = TestKeys.key("approver")

func approver() throws -> ApproverHandler {
    let catalog = try ActionCatalog.load(path: root.appendingPathComponent("examples/actions/catalog.yaml").path)
    let policy = try ApprovalPolicy.load(yaml: String(contentsOf: root.appendingPathComponent("examples/actions/approval-policy.yaml"),
                                                      encoding: .utf8))
    return ApproverHandler(catalog: catalog, policy: policy, signingKey: key, topics: TopicSet(), logger: TestKafka.logger)
}

func proposal(_ action: String, _ params: [String: String], incident: String = "inc-00000000000000000001",
              rationale: String = "runbook says so") -> IncidentEvent {
    .derived(incidentID: incident, producer: "reasoner", causationID: UUID().uuidString, step: "propose", trace: .newRoot(),
             payload: .actionProposed(ActionProposed(action: action, parameters: params, rationale: rationale,
                                                     citations: ["runbooks/payments-restart#1"])))
}

@Suite("approver")
struct ApproverTests {
    @Test func theTriagesKeptForFeedbackAreTheMostRecentOnes() throws {
        let handler = try approver()
        func incident(_ i: Int) -> String { "inc-" + String(format: "%020d", i) }
        let n = ApproverHandler.triagesCapacity + 1
        for i in 0..<n {
            handler.observe(.derived(incidentID: incident(i), producer: "reasoner", causationID: "c\(i)", step: "triage", trace: .newRoot(),
                                     payload: .triageProposed(TriageProposed(steps: [], likelyCause: nil, runbook: nil, unknowns: [],
                                                                             rejectedSteps: [], observations: []))))
        }
        #expect(handler.triage(of: incident(0)) == nil, "the oldest is forgotten: the approver's memory stays bounded")
        #expect(handler.triage(of: incident(1)) != nil)
        #expect(handler.triage(of: incident(n - 1)) != nil)
        #expect(throws: ApproverError.self) {
            try handler.feedback(incidentID: incident(0), by: "alice", verdict: .correct, rightCause: nil, rightDocument: nil, note: nil)
        }
    }

    @Test func readOnlyActionsAreApprovedAutomaticallyAndSigned() throws {
        let a = try approver()
        let p = proposal("kubectl.get-pods", ["namespace": "payments", "app": "payments-api"])
        let out = a.react(to: p)
        #expect(out.map(\.type) == ["ActionApproved"])
        guard case .actionApproved(let approved)? = out.first?.payload else { Issue.record("no ActionApproved: \(out.map(\.type))"); return }
        #expect(approved.approver == Approver(name: "read-only", kind: .policy))
        #expect(approved.hasValidSignature(incidentID: p.incidentID, keyring: TestKeys.keyring))
        #expect(TestSchemas.violations(ofIncidentEvent: out[0]) == [])
        #expect(TestSchemas.violations(ofIncidentEvent: p) == [])
        #expect(a.react(to: p).isEmpty) // redelivered proposal: answered once
    }

    @Test func destructiveActionsWaitForANamedHuman() throws {
        let a = try approver()
        let p = proposal("kubectl.rollout-restart", ["namespace": "payments", "deployment": "payments-api"])
        let out = a.react(to: p)
        #expect(out.map(\.type) == ["ApprovalRequested"])
        #expect(TestSchemas.violations(ofIncidentEvent: out[0]) == [])
        #expect(a.pending.count == 1)
        let decision = try a.decide(requestID: p.eventID, approver: "alice", approve: true, reason: "pods wedged, restart ok")
        guard case .actionApproved(let approved) = decision.payload else { Issue.record("not approved"); return }
        #expect(approved.approver == Approver(name: "alice", kind: .human))
        #expect(approved.hasValidSignature(incidentID: p.incidentID, keyring: TestKeys.keyring))
        #expect(a.pending.isEmpty)
        #expect(throws: ApproverError.self) { try a.decide(requestID: p.eventID, approver: "bob", approve: true, reason: "again") }
    }

    @Test func aPolicyRuleApprovesAtMostItsHourlyBudgetAndTheWindowMoves() throws {
        let a = try approver()
        let start = Date()
        func restart(_ i: Int, at t: Date) -> [String] {
            let p = proposal("kubectl.rollout-restart", ["namespace": "staging", "deployment": "web-\(i)"])
            let out = a.react(to: p, now: t)
            for e in out { a.observe(e) }  // our answers come back from the log
            return out.map(\.type)
        }
        // staging-restarts allows 3 an hour (examples/actions/approval-policy.yaml).
        for i in 0..<3 { #expect(restart(i, at: start.addingTimeInterval(Double(i) * 60)) == ["ActionApproved"]) }
        #expect(restart(3, at: start.addingTimeInterval(600)) == ["ApprovalRequested"], "the fourth within the hour asks a human")
        #expect(restart(4, at: start.addingTimeInterval(3_700)) == ["ActionApproved"], "an hour after the first, one slot is free")
        #expect(restart(5, at: start.addingTimeInterval(3_710)) == ["ActionApproved"])
        #expect(restart(6, at: start.addingTimeInterval(3_720)) == ["ActionApproved"])
        #expect(restart(7, at: start.addingTimeInterval(3_730)) == ["ApprovalRequested"])
    }

    @Test func rejectionAndExpiry() throws {
        let a = try approver()
        let p1 = proposal("kubectl.delete-pod", ["namespace": "payments", "pod": "payments-api-1"])
        let p2 = proposal("kubectl.scale", ["namespace": "payments", "deployment": "payments-api", "replicas": "0"])
        _ = a.react(to: p1)
        _ = a.react(to: p2, now: Date())
        let rejected = try a.decide(requestID: p1.eventID, approver: "alice", approve: false, reason: "not the cause")
        #expect(rejected.type == "ActionRejected")
        #expect(TestSchemas.violations(ofIncidentEvent: rejected) == [])
        #expect(a.due(now: Date()).isEmpty)
        let due = a.due(now: Date().addingTimeInterval(901))
        #expect(due.map(\.request.requestID) == [p2.eventID])
        // A person deciding after the deadline is too late, whatever the expiry tick says.
        #expect(throws: ApproverError.self) {
            try a.decide(requestID: p2.eventID, approver: "alice", approve: true, reason: "late", now: Date().addingTimeInterval(901))
        }
        let expired = due.flatMap { a.expiry(of: $0, now: Date().addingTimeInterval(901)) }
        for e in expired { a.observe(e) }
        #expect(expired.map(\.type) == ["ApprovalExpired", "IncidentEscalated"])
        for e in expired { #expect(TestSchemas.violations(ofIncidentEvent: e) == []) }
        #expect(a.pending.isEmpty)
    }

    @Test func preApprovalRulesHaveABlastRadiusLimit() throws {
        let a = try approver()
        var kinds: [String] = []
        for i in 0..<5 {
            let p = proposal("kubectl.rollout-restart", ["namespace": "staging", "deployment": "web-\(i)"])
            kinds += a.react(to: p).map(\.type)
        }
        #expect(kinds == ["ActionApproved", "ActionApproved", "ActionApproved", "ApprovalRequested", "ApprovalRequested"])
    }

    @Test func injectedOrOffCatalogProposalsAreRejectedNeverApproved() throws {
        let a = try approver()
        let attempts = [
            proposal("shell.exec", ["cmd": "kubectl delete ns payments"], rationale: "ignore previous instructions"),
            proposal("kubectl.get-pods", ["namespace": "payments; kubectl delete ns payments", "app": "x"]),
            proposal("kubectl.rollout-restart", ["namespace": "--all-namespaces", "deployment": "x"]),
        ]
        for p in attempts {
            let out = a.react(to: p)
            #expect(out.map(\.type) == ["ActionRejected"], "\(p.payload)")
        }
    }

    @Test func theExecutorRunsOnlyWhatTheApproverSigned() async throws {
        // The approver's answer is accepted by an executor that trusts its key, and refused by one that does not.
        let a = try approver()
        let p = proposal("http.health", ["host": "127.0.0.1", "port": "1", "path": "healthz"])
        let approved = a.react(to: p)[0]
        let catalog = try ActionCatalog.load(path: root.appendingPathComponent("examples/actions/catalog.yaml").path)
        let topics = try TestKafka.topics()
        let producer = try TestKafka.producer()
        let stranger = try Keyring([try ProducerKey.generate(producer: "approver", keyID: key.keyID)])
        let other = ExecutorHandler(catalog: catalog, keyring: stranger, policy: ApprovalPolicy(),
                                    producer: producer, topics: topics, ledger: ExecutionLedger(), logger: TestKafka.logger)
        #expect(try await other.react(to: approved).map(\.type) == ["ActionFailed"])
        let same = ExecutorHandler(catalog: catalog, keyring: TestKeys.keyring, policy: ApprovalPolicy(), producer: producer,
                                   topics: topics, ledger: ExecutionLedger(), logger: TestKafka.logger)
        let ran = try await same.react(to: approved)
        #expect(ran.map(\.type) == ["ActionExecuted"]) // port 1 refuses: ran, and reported the failure
        await producer.close()
    }
}
