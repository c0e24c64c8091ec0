import Actions
import Approval
import DaemonRuntime
import Execution
import Foundation
import IncidentLog
import Kafka
import TestSupport
import Testing
import Triage

/// Arbitrary bytes and mutated valid events through every daemon's
/// authenticate → decode → handle path. A record either is rejected with a
/// reason or handled; nothing traps, and the only destructive run is the one
/// a human genuinely approved (a mutation outside the approval's signed
/// fields, e.g. the trace or causation id, leaves it a valid approval), once.
@Suite("decode-and-handle fuzzing")
struct DecodeFuzzTests {
    /// A deterministic generator (SplitMix64), so a failure replays.
    struct Rng: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9e37_79b9_7f4a_7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
        }
    }

    static func seeds(_ incident: String) throws -> [IncidentEvent] {
        let restart = ["namespace": "payments", "deployment": "payments-api"]
        let request = TestIDs.request("fuzz")
        let approval = try ActionApproved(requestID: request, action: "ops.restart", parameters: restart, risk: "destructive",
                                          approver: Approver(name: "alice", kind: .human), reason: "r", issuedAt: Date(),
                                          validFor: 600).signed(incidentID: incident, key: TestKeys.key("approver"))
        let cite = Citation(documentID: "runbooks/r", title: "t", path: "runbooks/r.md", kind: "runbook", chunkID: "runbooks/r#1",
                            headingPath: "Mitigation", lineStart: 1, lineEnd: 2, score: 0.1, vectorRank: 1, textRank: nil,
                            similarity: 0.9, boosts: [], text: "kubectl -n payments rollout restart deployment/payments-api")
        let payloads: [(String, IncidentEventPayload)] = [
            ("alert-ingestor", .incidentOpened(IncidentOpened(source: .alertmanager, groupKey: "g", title: "T", severity: "critical",
                                                              service: "payments-api", receiver: "r", externalURL: nil,
                                                              labels: ["alertname": "A", "namespace": "payments"], annotations: [:]))),
            ("retriever", .retrievalCompleted(RetrievalCompleted(query: "q", found: true, reason: nil, model: "m", postmortems: [],
                                                                 runbooks: [cite]))),
            ("reasoner", .actionProposed(ActionProposed(action: "ops.restart", parameters: restart, rationale: "r", citations: []))),
            ("approver", .approvalRequested(ApprovalRequested(requestID: request, action: "ops.restart", parameters: restart,
                                                              risk: "destructive", rationale: "r", expiresAt: "2099-01-01T00:00:00Z"))),
            ("approver", .actionApproved(approval)),
            ("executor", .actionExecuted(ActionExecuted(requestID: request, action: "ops.restart", exitStatus: 0, durationMs: 1,
                                                        output: "ok", truncated: false, timedOut: false))),
            ("reasoner", .triageProposed(TriageProposed(steps: [.init(text: "s", citations: ["runbooks/r#1"])], likelyCause: nil,
                                                        runbook: nil, unknowns: [], rejectedSteps: [], observations: []))),
        ]
        return payloads.map { producer, payload in
            .derived(incidentID: incident, producer: producer, causationID: "c", step: payload.type, trace: .newRoot(), payload: payload)
        }
    }

    /// One mutation of `bytes`: flips, cuts, splices, duplicated or deleted ranges, or a type swapped for another.
    static func mutate(_ bytes: [UInt8], _ rng: inout Rng) -> [UInt8] {
        var b = bytes
        guard !b.isEmpty else { return [UInt8.random(in: 0...255, using: &rng)] }
        switch Int.random(in: 0..<7, using: &rng) {
        case 0: for _ in 0..<Int.random(in: 1...8, using: &rng) { b[Int.random(in: 0..<b.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng) }
        case 1: b = Array(b.prefix(Int.random(in: 0..<b.count, using: &rng)))
        case 2:
            let i = Int.random(in: 0..<b.count, using: &rng)
            b.insert(contentsOf: b[i..<min(b.count, i + Int.random(in: 1...200, using: &rng))], at: Int.random(in: 0..<b.count, using: &rng))
        case 3:
            let i = Int.random(in: 0..<b.count, using: &rng)
            b.removeSubrange(i..<min(b.count, i + Int.random(in: 1...50, using: &rng)))
        case 4:
            let types = ["ActionApproved", "ActionProposed", "ActionExecuted", "ApprovalRequested", "TriageProposed",
                         "RetrievalCompleted", "IncidentOpened", "ActionStarted", "Nonsense"]
            let text = String(decoding: b, as: UTF8.self)
            if let r = text.range(of: #""type":"[A-Za-z]+""#, options: .regularExpression) {
                b = Array(text.replacingCharacters(in: r, with: "\"type\":\"\(types.randomElement(using: &rng)!)\"").utf8)
            }
        case 5:
            let junk = ["null", "[]", "{}", "\"\"", "-1", "1e309", "\"\\u0000\"", String(repeating: "[", count: 3000), "\"\\ud800\""]
            let text = String(decoding: b, as: UTF8.self)
            if let r = text.range(of: #":("[^"]*"|[0-9]+|true|false|null)"#, options: .regularExpression) {
                b = Array(text.replacingCharacters(in: r, with: ":" + junk.randomElement(using: &rng)!).utf8)
            }
        default: b = (0..<Int.random(in: 0...300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        }
        return b
    }

    @Test func mutatedAndArbitraryRecordsNeverTrapAndNeverRunAnything() async throws {
        let topics = try TestKafka.topics()
        let incident = EventIDs.incident(source: "fuzz", parts: ["x"])
        let dir = TestScratch.path("fuzz")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let marker = dir.appendingPathComponent("runs").path
        let script = dir.appendingPathComponent("restart.sh").path
        try "#!/bin/sh\necho \"$1 $2\" >> \(marker)\n".write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)
        let catalog = try ActionCatalog.load(yaml: """
            actions:
              - {id: ops.restart, description: restart, risk: destructive, runner: command, executable: \(script),
                 argv: ["{namespace}", "{deployment}"], timeout_seconds: 5, output_limit_bytes: 100,
                 parameters: {namespace: {type: string, pattern: "[a-z0-9-]+"}, deployment: {type: string, pattern: "[a-z0-9-]+"}}}
            """)
        let producer = try TestKafka.producer()
        let handlers: [any MessageHandler] = [
            ReasonerHandler(planner: BuiltinPlanner(catalog: catalog), catalog: catalog, topics: topics, logger: TestKafka.logger),
            ApproverHandler(catalog: catalog, policy: ApprovalPolicy(), signingKey: TestKeys.key("approver"), topics: topics,
                            logger: TestKafka.logger),
            ExecutorHandler(catalog: catalog, keyring: TestKeys.keyring, policy: ApprovalPolicy(), producer: producer, topics: topics,
                            ledger: ExecutionLedger(), logger: TestKafka.logger),
        ]
        let auth = TestKeys.authenticator(topics)
        let seeds = try Self.seeds(incident).map { try IncidentEventCodec.encode($0, topics: topics) }
        var rng = Rng(state: UInt64(ProcessInfo.processInfo.environment["FUZZ_SEED"] ?? "") ?? 20261129)
        var accepted = 0, rejected = 0
        var ranBy: [String] = []
        for i in 0..<3_000 {
            let seed = seeds[i % seeds.count]
            var value = seed.value
            for _ in 0..<Int.random(in: 1...3, using: &rng) { value = Self.mutate(value, &rng) }
            // Signed as the producer the seed names: the mutation, not a missing signature, is what is tested.
            let claimed = (try? JSONSerialization.jsonObject(with: Data(value)) as? [String: Any])?["producer"] as? String
            let signer = TestKeys.signer(EventOwnership.producers.contains(claimed ?? "") ? claimed! : "reasoner")
            let out = try signer.sign([KafkaOutgoingMessage(topic: seed.topic, key: seed.key, value: value)])[0]
            let m = KafkaConsumerMessage(topic: out.topic, partition: 0, offset: Int64(i), key: out.key, value: out.value,
                                         headers: out.headers)
            guard (try? auth.check(m)) != nil else { rejected += 1; continue }
            accepted += 1
            let before = (try? String(contentsOfFile: marker, encoding: .utf8))?.count ?? 0
            for h in handlers { _ = try? await h.handle(m) }
            if ((try? String(contentsOfFile: marker, encoding: .utf8))?.count ?? 0) != before {
                ranBy.append(String(decoding: value, as: UTF8.self))
            }
        }
        #expect(rejected > 0 && accepted > 0, "accepted \(accepted), rejected \(rejected)")
        let runs = ((try? String(contentsOfFile: marker, encoding: .utf8)) ?? "").split(separator: "\n")
        print("fuzz: accepted \(accepted), rejected \(rejected), destructive runs \(runs.count)")
        #expect(runs.count <= 1, "a destructive action ran at most once: \(runs), started by \(ranBy)")
        #expect(runs.allSatisfy { $0 == "payments payments-api" }, "only the approved action ran: \(runs), started by \(ranBy)")
        // What started it must decode as the genuine approval: same request, action and parameters, valid signature.
        for record in ranBy {
            let event = try? JSONDecoder().decode(IncidentEvent.self, from: Data(record.utf8))
            guard case .actionApproved(let a)? = event?.payload else {
                Issue.record("something other than an approval started a run: \(record)"); continue
            }
            #expect(a.requestID == TestIDs.request("fuzz") && a.action == "ops.restart" && event?.incidentID == incident
                    && a.hasValidSignature(incidentID: incident, keyring: TestKeys.keyring), "\(record)")
        }
        await producer.close()
    }
}
