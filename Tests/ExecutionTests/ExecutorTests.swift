import Actions
import Crypto
import DaemonRuntime
import Execution
import Foundation
import IncidentLog
import Kafka
import TestSupport
import Testing

/// A catalog whose actions append to a file: the file's line count is how often they ran.
struct ExecutorFixture {
    let topics: TopicSet
    let producer: KafkaProducer
    let catalog: ActionCatalog
    let marker: String
    let incident = EventIDs.incident(source: "test", parts: [UUID().uuidString])

    init(name: String = #function) throws {
        topics = try TestKafka.topics(name: name)
        producer = try TestKafka.producer()
        let dir = TestScratch.path("exec")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        marker = dir.appendingPathComponent("runs").path
        let script = dir.appendingPathComponent("act.sh").path
        try "#!/bin/sh\necho \"$1\" >> \(marker)\necho ran $1 token=abc123\n".write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)
        catalog = try ActionCatalog.load(yaml: """
            actions:
              - {id: diag.check, description: read-only check, risk: read_only, runner: command, executable: \(script),
                 argv: ["{target}"], parameters: {target: {type: string, pattern: "[a-z-]+"}}, timeout_seconds: 5, output_limit_bytes: 1000}
              - {id: svc.restart, description: restart, risk: destructive, runner: command, executable: \(script),
                 argv: ["{target}"], parameters: {target: {type: string, pattern: "[a-z-]+"}}, timeout_seconds: 5, output_limit_bytes: 1000}
            """)
    }

    func handler(_ ledger: ExecutionLedger = ExecutionLedger()) -> ExecutorHandler {
        ExecutorHandler(catalog: catalog, keyring: TestKeys.keyring, policy: ApprovalPolicy(), producer: producer, topics: topics,
                        ledger: ledger, logger: TestKafka.logger)
    }

    func approval(_ action: String, risk: String, target: String = "payments-api", request: String = "req-1",
                  key signingKey: ProducerKey? = nil, issuedAt: Date = Date(), validFor: TimeInterval = 600) -> IncidentEvent {
        let a = try! ActionApproved(requestID: TestIDs.request(request), action: action, parameters: ["target": target], risk: risk,
                                    approver: Approver(name: "alice", kind: .human), reason: "looks right", issuedAt: issuedAt,
                                    validFor: validFor)
            .signed(incidentID: incident, key: signingKey ?? TestKeys.key("approver"))
        return .derived(incidentID: incident, producer: "approver", causationID: request, step: "approved",
                        trace: .newRoot(), payload: .actionApproved(a))
    }

    var runs: Int { ((try? String(contentsOfFile: marker, encoding: .utf8)) ?? "").split(separator: "\n").count }
}

@Suite("executor")
struct ExecutorTests {
    @Test func anApprovedActionRunsOnceWithStartedThenExecuted() async throws {
        let f = try ExecutorFixture()
        let h = f.handler()
        let approved = f.approval("diag.check", risk: "read_only")
        let out = try await h.react(to: approved)
        #expect(out.map(\.type) == ["ActionExecuted"])
        guard case .actionExecuted(let r)? = out.first?.payload else { Issue.record("no ActionExecuted: \(out.map(\.type))"); return }
        #expect(r.exitStatus == 0)
        #expect(r.output.contains("ran payments-api"))
        #expect(!r.output.contains("abc123"), "secrets are redacted")
        for e in out { #expect(TestSchemas.violations(ofIncidentEvent: e) == []) }
        #expect(TestSchemas.violations(ofIncidentEvent: approved) == [])
        // ActionStarted went to the log before the action ran.
        let log = try await TestKafka.readAll(f.topics.incidents)
        #expect(try log.map { try IncidentEventCodec.decode($0).type } == ["ActionStarted"])
        #expect(TestSchemas.violations(ofIncidentRecord: log[0]) == [])
        // Redelivered approval: nothing runs again.
        #expect(try await h.react(to: approved).isEmpty)
        #expect(f.runs == 1)
        await f.producer.close()
    }

    @Test func anApprovalThatCannotBeHandledEscalatesWithItsDeadLetter() async throws {
        let f = try ExecutorFixture()
        let approved = f.approval("svc.restart", risk: "destructive")
        let record = try IncidentEventCodec.encode(approved, topics: f.topics)
        let message = KafkaConsumerMessage(topic: record.topic, partition: 0, offset: 7, key: record.key, value: record.value,
                                           headers: record.headers)
        let out = f.handler().deadLettered(message, error: "the ledger is unreadable")
        let escalation = try #require(out.first)
        let e = try IncidentEventCodec.decode(KafkaConsumerMessage(topic: escalation.topic, partition: 0, offset: 9,
                                                                   key: escalation.key, value: escalation.value))
        guard case .incidentEscalated(let x) = e.payload else { Issue.record("not an escalation: \(e.type)"); return }
        #expect(e.producer == "executor" && e.incidentID == f.incident && e.causationID == approved.eventID)
        #expect(x.reason.contains("the ledger is unreadable") && x.summary.contains("svc.restart"))
        #expect(TestSchemas.violations(ofIncidentEvent: e) == [])
        // Anything else that is dead-lettered (not an approval, not an event) adds nothing.
        #expect(f.handler().deadLettered(KafkaConsumerMessage(topic: record.topic, partition: 0, offset: 8, key: nil,
                                                              value: Array("{".utf8), headers: []), error: "x").isEmpty)
        await f.producer.close()
    }

    @Test func aForgedApprovalIsRefusedAndNothingRuns() async throws {
        let f = try ExecutorFixture()
        let forged = f.approval("svc.restart", risk: "destructive",
                                key: try ProducerKey.generate(producer: "approver", keyID: TestKeys.key("approver").keyID))
        let out = try await f.handler().react(to: forged)
        #expect(out.map(\.type) == ["ActionFailed"])
        if case .actionFailed(let p) = out[0].payload { #expect(p.error.contains("not signed")) }
        // Tampering with a signed approval breaks the signature too.
        var tampered = f.approval("svc.restart", risk: "destructive", request: "req-2")
        if case .actionApproved(var a) = tampered.payload {
            a.parameters["target"] = "orders-db"
            tampered.payload = .actionApproved(a)
        }
        #expect(try await f.handler().react(to: tampered).map(\.type) == ["ActionFailed"])
        #expect(f.runs == 0)
        await f.producer.close()
    }

    @Test func theLedgerForgetsWhatNoApprovalCanStillAskFor() {
        let ledger = ExecutionLedger(retain: 3_600)
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        func executed(_ request: String, at: Date) -> IncidentEvent {
            .derived(incidentID: "inc-1", producer: "executor", causationID: request, step: "ran", trace: .newRoot(), occurredAt: at,
                     payload: .actionExecuted(ActionExecuted(requestID: request, action: "svc.restart", exitStatus: 0, durationMs: 1,
                                                             output: "", truncated: false, timedOut: false)))
        }
        ledger.apply(executed("old", at: t0))
        ledger.claim("running")
        // Two hours and 2,048 changes later: the old request is forgotten; the one being run and the recent ones are not.
        for i in 0..<2_048 { ledger.apply(executed("new-\(i)", at: t0.addingTimeInterval(7_200))) }
        #expect(!ledger.entry("old").finished)
        #expect(ledger.entry("running").claimed)
        #expect(ledger.entry("new-0").finished && ledger.count == 2_049)
        // Without a retention nothing is forgotten.
        let forever = ExecutionLedger()
        forever.apply(executed("old", at: t0))
        for i in 0..<2_048 { forever.apply(executed("new-\(i)", at: t0.addingTimeInterval(7_200))) }
        #expect(forever.entry("old").finished)
    }

    @Test func anApprovalValidLongerThanThePolicyAllowsIsRefused() async throws {
        let f = try ExecutorFixture()
        let long = f.approval("svc.restart", risk: "destructive", validFor: 7 * 86_400)
        let out = try await f.handler().react(to: long)
        #expect(out.map(\.type) == ["ActionFailed"])
        if case .actionFailed(let p) = out[0].payload { #expect(p.error.contains("longer than the policy"), "\(p.error)") }
        #expect(f.runs == 0)
        #expect(try await f.handler().react(to: f.approval("svc.restart", risk: "destructive", request: "ok")).map(\.type)
                    .contains("ActionExecuted"), "the policy's own validity runs")
        await f.producer.close()
    }

    @Test func approvalsOutsideTheCatalogOrWithBadParametersNeverRun() async throws {
        let f = try ExecutorFixture()
        let h = f.handler()
        #expect(try await h.react(to: f.approval("shell.exec", risk: "destructive", request: "a")).map(\.type) == ["ActionFailed"])
        #expect(try await h.react(to: f.approval("diag.check", risk: "read_only", target: "x; rm -rf /", request: "b")).map(\.type) == ["ActionFailed"])
        // A destructive action approved as if it were read-only is refused.
        #expect(try await h.react(to: f.approval("svc.restart", risk: "read_only", request: "c")).map(\.type) == ["ActionFailed"])
        #expect(f.runs == 0)
        await f.producer.close()
    }

    @Test func aDestructiveActionStartedBeforeACrashIsNotRunAgain() async throws {
        let f = try ExecutorFixture()
        let approved = f.approval("svc.restart", risk: "destructive")
        // The previous executor appended ActionStarted and died before the outcome.
        let started = IncidentEvent.derived(
            incidentID: f.incident, producer: "executor", causationID: approved.eventID, step: "started", trace: .newRoot(),
            payload: .actionStarted(ActionStarted(requestID: TestIDs.request("req-1"), action: "svc.restart",
                                                  parameters: ["target": "payments-api"], risk: "destructive", executor: "executor")))
        try await f.producer.send([try IncidentEventCodec.encode(approved, topics: f.topics),
                                   try IncidentEventCodec.encode(started, topics: f.topics)])
        // The restarted executor rebuilds from the log, then the approval is redelivered.
        let ledger = ExecutionLedger()
        try await IncidentLogReader.forEachEvent(authenticator: TestKeys.authenticator(f.topics), configuration: TestKafka.configuration(),
                                                 logger: TestKafka.logger) { ledger.apply($0) }
        let out = try await f.handler(ledger).react(to: approved)
        #expect(out.map(\.type) == ["ActionOutcomeUnknown", "IncidentEscalated"])
        for e in out { #expect(TestSchemas.violations(ofIncidentEvent: e) == []) }
        #expect(f.runs == 0)
        // …and a further redelivery changes nothing.
        #expect(try await f.handler(ledger).react(to: approved).isEmpty)
        await f.producer.close()
    }

    @Test func aReadOnlyActionStartedBeforeACrashMayRunAgain() async throws {
        let f = try ExecutorFixture()
        let approved = f.approval("diag.check", risk: "read_only")
        let ledger = ExecutionLedger()
        ledger.markStarted(TestIDs.request("req-1"))
        let out = try await f.handler(ledger).react(to: approved)
        #expect(out.map(\.type) == ["ActionExecuted"])
        #expect(f.runs == 1)
        await f.producer.close()
    }

    @Test func theExecutorLoopRunsApprovalsFromTheLog() async throws {
        let f = try ExecutorFixture()
        let group = TestKafka.uniqueGroup()
        let loop = ConsumeLoop(consumer: try TestKafka.consumer(group: group, topics: [f.topics.incidents]),
                               producer: f.producer, handler: f.handler(), authenticator: TestKeys.authenticator(f.topics), group: group,
                               logger: TestKafka.logger)
        let task = Task { try await loop.run() }
        defer { task.cancel() }
        try await f.producer.send(try IncidentEventCodec.encode(f.approval("diag.check", risk: "read_only"), topics: f.topics))
        let events = try await TestKafka.waitForEvents(f.topics) { $0.contains { $0.type == "ActionExecuted" } }
        #expect(events.map(\.type) == ["ActionApproved", "ActionStarted", "ActionExecuted"])
        #expect(f.runs == 1)
    }

    @Test func approvalsRunSideBySideUpToTheConcurrencyLimitAndEachRunsOnce() async throws {
        let f = try ExecutorFixture()
        // Each run waits (up to 2 s) until another one is running too, then reports how many run at once.
        let dir = TestScratch.path("barrier").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let script = dir + "/barrier.sh"
        try """
            #!/bin/sh
            touch "$1/run-$2"
            i=0
            while [ "$(ls "$1" | grep -c '^run-')" -lt 2 ] && [ $i -lt 40 ]; do sleep 0.05; i=$((i+1)); done
            sleep 0.3
            n=$(ls "$1" | grep -c '^run-')
            echo "$n" >> "$1/seen"
            rm "$1/run-$2"
            [ "$n" -ge 2 ]
            """.write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)
        let catalog = try ActionCatalog.load(yaml: """
            actions:
              - {id: diag.barrier, description: waits for company, risk: read_only, runner: command, executable: \(script),
                 argv: ["{dir}", "{n}"], parameters: {dir: {type: string, pattern: "/[a-zA-Z0-9/._-]+"}, n: {type: integer, minimum: 0, maximum: 99}},
                 timeout_seconds: 10, output_limit_bytes: 1000}
            """)
        let handler = ExecutorHandler(catalog: catalog, keyring: TestKeys.keyring, policy: ApprovalPolicy(), producer: f.producer,
                                      topics: f.topics, ledger: ExecutionLedger(), concurrency: 2, logger: TestKafka.logger)
        var approvals: [IncidentEvent] = []
        for n in 0..<4 {
            let a = try ActionApproved(requestID: TestIDs.request("req-\(n)"), action: "diag.barrier",
                                       parameters: ["dir": dir, "n": "\(n)"], risk: "read_only",
                                       approver: Approver(name: "read-only", kind: .policy), reason: "auto", issuedAt: Date(),
                                       validFor: 600)
                .signed(incidentID: f.incident, key: TestKeys.key("approver"))
            approvals.append(.derived(incidentID: f.incident, producer: "approver", causationID: "req-\(n)", step: "approved",
                                      trace: .newRoot(), payload: .actionApproved(a)))
        }
        // All approvals (and a duplicate of the first) are on the log before the loop starts, so they arrive as one batch.
        try await f.producer.send(try (approvals + [approvals[0]]).map { try IncidentEventCodec.encode($0, topics: f.topics) })
        let group = TestKafka.uniqueGroup()
        let loop = ConsumeLoop(consumer: try TestKafka.consumer(group: group, topics: [f.topics.incidents]),
                               producer: f.producer, handler: handler, authenticator: TestKeys.authenticator(f.topics), group: group, logger: TestKafka.logger)
        let task = Task { try await loop.run() }
        defer { task.cancel() }
        let events = try await TestKafka.waitForEvents(f.topics) { $0.filter { $0.type == "ActionExecuted" }.count >= 4 }
        let outcomes = events.compactMap { e -> ActionExecuted? in
            if case .actionExecuted(let x) = e.payload { return x } else { return nil }
        }
        #expect(Set(outcomes.map(\.requestID)) == Set((0..<4).map { TestIDs.request("req-\($0)") }))
        #expect(events.filter { $0.type == "ActionStarted" }.count == 4, "the duplicate approval did not run again")
        let seen = try String(contentsOfFile: dir + "/seen", encoding: .utf8).split(separator: "\n").compactMap { Int($0) }
        #expect(seen.count == 4)
        #expect(seen.max() == 2, "runs had company: they ran side by side (\(seen))")
        #expect(seen.allSatisfy { $0 <= 2 }, "never more than the limit at once: \(seen)")
    }
}
