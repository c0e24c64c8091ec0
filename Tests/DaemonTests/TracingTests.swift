import Corpus
import DaemonRuntime
import Embedding
import Foundation
import HTTPClient
import IncidentLog
import Kafka
import Retrieval
import TestSupport
import Testing

/// OTLP export end to end: the five daemons of the incident path as their own
/// processes, exporting to a local OTLP/HTTP receiver; one webhook; then one
/// trace, spanning every daemon, in the incident's trace id, with every
/// span's parent exported too.
@Suite("Tracing: one trace per incident over OTLP", .serialized)
struct TracingTests {
    static let repo = TestSchemas.repositoryRoot

    struct ExportedSpan: Hashable {
        var service: String
        var name: String
        var traceID: String
        var spanID: String
        var parentSpanID: String
    }

    /// OTLP ids in JSON are hex (the spec) or base64 (protobuf's JSON mapping): hex either way.
    static func hexID(_ s: String) -> String {
        if s.isEmpty || s.allSatisfy(\.isHexDigit) { return s.lowercased() }
        guard let data = Data(base64Encoded: s) else { return s }
        return data.map { String(format: "%02x", $0) }.joined()
    }

    static func spans(in bodies: [[UInt8]]) throws -> [ExportedSpan] {
        var out: [ExportedSpan] = []
        for body in bodies {
            guard let root = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else { continue }
            for rs in root["resourceSpans"] as? [[String: Any]] ?? [] {
                let attributes = (rs["resource"] as? [String: Any])?["attributes"] as? [[String: Any]] ?? []
                let service = attributes.first { $0["key"] as? String == "service.name" }
                    .flatMap { ($0["value"] as? [String: Any])?["stringValue"] as? String } ?? "?"
                for ss in rs["scopeSpans"] as? [[String: Any]] ?? [] {
                    for s in ss["spans"] as? [[String: Any]] ?? [] {
                        out.append(ExportedSpan(service: service, name: s["name"] as? String ?? "",
                                                traceID: hexID(s["traceId"] as? String ?? ""), spanID: hexID(s["spanId"] as? String ?? ""),
                                                parentSpanID: hexID(s["parentSpanId"] as? String ?? "")))
                    }
                }
            }
        }
        return out
    }

    @Test(.enabled(if: (TestDaemonProcesses.isAvailable && TestPostgres.isAvailable && TestEmbeddings.isAvailable)
                    || ProcessInfo.processInfo.environment["CI"] != nil))
    func oneTraceSpansEveryDaemonOfTheIncident() async throws {
        let receiver = try await TestHTTPServer()
        let topics = try TestKafka.topics()
        let database = try TestPostgres.database()
        let embeddingsURL = try TestEmbeddings.baseURL.get()

        // The handbook the retriever searches.
        var config = EmbeddingsConfiguration()
        config.baseURL = embeddingsURL
        let store = IndexStore(url: database, dimensions: config.dimensions, logger: TestKafka.logger)
        try await store.migrate()
        let embedder = EmbedderHandler(store: store, embeddings: try EmbeddingsClient(configuration: config, logger: TestKafka.logger),
                                       logger: TestKafka.logger)
        for path in ["runbooks/payments-latency-db-pool.md", "runbooks/payments-restart.md",
                     "postmortems/2025-01-14-payments-db-pool-exhaustion.md"] {
            let text = try String(contentsOf: Self.repo.appendingPathComponent("examples/ops-handbook/\(path)"), encoding: .utf8)
            let (doc, _) = try CorpusDocument.parse(path: path, text: text)
            _ = try await embedder.index(CorpusEvent(type: .upserted, documentID: doc.id, path: path, contentHash: doc.contentHash,
                                                     content: text, syncedAt: Date(), source: "t"))
        }

        let approvers = TestScratch.path("approvers", suffix: ".yaml")
        try "approvers: [{name: alice, token_sha256: \(String(repeating: "0", count: 64)), roles: [approver]}]\n"
            .write(to: approvers, atomically: true, encoding: .utf8)
        let base: [String: String] = [
            "KAFKA_BROKERS": TestKafka.shared.bootstrapServers, "AIOPS_TOPIC_PREFIX": topics.prefix, "LOG_LEVEL": "info",
            "ACTIONS_CATALOG": Self.repo.appendingPathComponent("examples/actions/catalog.yaml").path,
            "APPROVAL_POLICY": Self.repo.appendingPathComponent("examples/actions/approval-policy.yaml").path,
            "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.baseURL, "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json",
            "OTEL_BSP_SCHEDULE_DELAY": "200",
        ]
        let daemons: [(name: String, prefix: String, extra: [String: String])] = [
            ("retriever", "RETRIEVER", ["DATABASE_URL": database, "EMBEDDINGS_URL": embeddingsURL]),
            ("reasoner", "REASONER", [:]),
            ("approver", "APPROVER", ["APPROVERS_FILE": approvers.path]),
            ("executor", "EXECUTOR", [:]),
            ("alert-ingestor", "INGESTOR", [:]),
        ]
        let processes = try TestDaemonProcesses()
        var ports: [String: Int] = [:]
        for d in daemons {
            let port = try freeLoopbackPort()
            ports[d.name] = port
            var env = base.merging(TestKeys.environment(d.name)) { a, _ in a }.merging(d.extra) { a, _ in a }
            env["\(d.prefix)_PORT"] = String(port)
            if d.name != "alert-ingestor" { env["\(d.prefix)_GROUP"] = TestKafka.uniqueGroup(d.name) }
            try processes.start(d.name, environment: env)
        }
        for d in daemons {
            do { try await waitUntilReady("http://127.0.0.1:\(ports[d.name]!)/readyz", timeout: .seconds(60)) } catch {
                Issue.record("\(d.name) not ready: \(processes.log(d.name).suffix(2_000))")
                throw error
            }
        }

        // One Alertmanager webhook.
        let startsAt = RFC3339.format(Date().addingTimeInterval(-180))
        let alert: [String: Any] = [
            "status": "firing", "startsAt": startsAt, "endsAt": "0001-01-01T00:00:00Z", "fingerprint": "a1b2c3d4e5f60718",
            "generatorURL": "http://prometheus:9090/graph?g0.expr=histogram_quantile",
            "labels": ["alertname": "PaymentsAPIHighLatency", "service": "payments-api", "namespace": "payments",
                       "severity": "critical", "pod": "payments-api-7d9f8b6c5-x2k4q"],
            "annotations": ["summary": "payments-api p99 latency above 2s for 5 minutes",
                            "description": "p99 of http_request_duration_seconds is 3.4s (threshold 2s) on POST /v1/charges"],
        ]
        let webhook: [String: Any] = [
            "version": "4", "groupKey": "{}:{alertname=\"PaymentsAPIHighLatency\"}", "truncatedAlerts": 0, "status": "firing",
            "receiver": "aiops", "groupLabels": ["alertname": "PaymentsAPIHighLatency"], "commonLabels": alert["labels"]!,
            "commonAnnotations": alert["annotations"]!, "externalURL": "http://alertmanager:9093", "alerts": [alert],
        ]
        let answer = try await HTTPClient().request("POST", "http://127.0.0.1:\(ports["alert-ingestor"]!)/api/v1/alerts",
                                                    headers: ["Content-Type": "application/json"],
                                                    body: Array(try JSONSerialization.data(withJSONObject: webhook)))
        #expect(answer.status == 200, "\(answer.text)")

        // Until the executor has run a diagnostic for the incident.
        var events: [IncidentEvent] = []
        let deadline = ContinuousClock.now + .seconds(90)
        while ContinuousClock.now < deadline {
            let reader = try KafkaTopicReader(topic: topics.incidents, configuration: TestKafka.configuration(), logger: TestKafka.logger)
            events = try await reader.readToEnd().compactMap { try? IncidentEventCodec.decode($0) }
            if events.contains(where: { if case .actionExecuted = $0.payload { true } else if case .actionFailed = $0.payload { true } else { false } }) {
                break
            }
            try await Task.sleep(for: .milliseconds(500))
        }
        // A later webhook of the same group: its alert joins the incident's trace.
        var second = alert
        second["fingerprint"] = "0f1e2d3c4b5a6978"
        second["labels"] = ["alertname": "PaymentsAPIHighLatency", "service": "payments-api", "namespace": "payments",
                            "severity": "critical", "pod": "payments-api-7d9f8b6c5-m8n2p"]
        var later = webhook
        later["alerts"] = [second]
        let again = try await HTTPClient().request("POST", "http://127.0.0.1:\(ports["alert-ingestor"]!)/api/v1/alerts",
                                                   headers: ["Content-Type": "application/json"],
                                                   body: Array(try JSONSerialization.data(withJSONObject: later)))
        #expect(again.status == 200, "\(again.text)")
        let until = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < until, events.filter({ $0.type == "AlertAttached" }).count < 2 {
            try await Task.sleep(for: .milliseconds(300))
            let reader = try KafkaTopicReader(topic: topics.incidents, configuration: TestKafka.configuration(), logger: TestKafka.logger)
            events = try await reader.readToEnd().compactMap { try? IncidentEventCodec.decode($0) }
        }
        processes.stop()
        #expect(events.filter { $0.type == "AlertAttached" }.count == 2)
        let opened = try #require(events.first { $0.type == "IncidentOpened" }, "no incident opened: \(processes.log("alert-ingestor").suffix(2_000))")
        #expect(events.contains { $0.producer == "executor" }, "the executor ran nothing: \(events.map(\.type))")

        let spans = try Self.spans(in: receiver.requests.filter { $0.path == "/v1/traces" }.map(\.body))
        let trace = spans.filter { $0.traceID == opened.trace.traceID }
        let services = Set(trace.map(\.service))
        #expect(services.isSuperset(of: ["alert-ingestor", "retriever", "reasoner", "approver", "executor"]),
                "services in the incident's trace: \(services.sorted()); all spans: \(Set(spans.map { "\($0.service) \($0.name)" }).sorted())")
        #expect(trace.contains { $0.service == "alert-ingestor" && $0.name == "POST /api/v1/alerts" && $0.parentSpanID.isEmpty })
        #expect(trace.contains { $0.service == "retriever" && $0.name == "retrieve" })
        #expect(trace.contains { $0.service == "reasoner" && $0.name.hasPrefix("invoke_agent") })
        #expect(trace.contains { $0.service == "approver" && $0.name.hasPrefix("process ") })
        #expect(trace.contains { $0.service == "executor" && $0.name.hasPrefix("execute_tool ") })
        // A tree: every parent was exported too (each hop is the child of the span that wrote its record).
        let ids = Set(trace.map(\.spanID))
        let orphans = trace.filter { !$0.parentSpanID.isEmpty && !ids.contains($0.parentSpanID) }
        #expect(orphans.isEmpty, "spans whose parent is not in the trace: \(orphans.map { "\($0.service) \($0.name)" })")
        // Every event of the incident, the later webhook's too, carries a span of the trace.
        #expect(events.filter { $0.incidentID == opened.incidentID }.allSatisfy { $0.trace.traceID == opened.trace.traceID },
                "events in other traces: \(events.filter { $0.trace.traceID != opened.trace.traceID }.map { "\($0.producer) \($0.type)" })")
        let unexported = events.filter { $0.incidentID == opened.incidentID && !ids.contains($0.trace.spanID) }
        #expect(unexported.isEmpty, "events whose span was not exported: \(unexported.map { "\($0.producer) \($0.type)" })")
    }
}
