import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import DaemonRuntime
import IncidentLog
@testable import Ingest
import Kafka
import NIOCore
import TestSupport
import Testing

func encode(_ w: AlertmanagerWebhook) -> ByteBuffer { ByteBuffer(bytes: try! JSONEncoder().encode(w)) }

/// An ingestor app on its own topics, with a real producer to the mock cluster.
struct IngestorFixture {
    let topics: TopicSet
    let producer: KafkaProducer
    let cluster: KafkaMockCluster
    let app: any ApplicationProtocol

    init(cluster: KafkaMockCluster = TestKafka.shared, deliveryTimeoutMs: Int = 10_000, name: String = #function,
         configure: (inout IngestorConfiguration) -> Void = { _ in }) throws {
        self.cluster = cluster
        topics = try TestKafka.topics(in: cluster, name: name)
        producer = try TestKafka.producer(cluster, deliveryTimeoutMs: deliveryTimeoutMs)
        var config = IngestorConfiguration(common: TestKeys.common("alert-ingestor", topics: topics, cluster: cluster))
        config.retryAfterSeconds = 7
        configure(&config)
        let coordinator = IngestCoordinator(producer: producer, topics: topics, correlation: config.correlation,
                                            logger: TestKafka.logger)
        app = buildIngestorApplication(configuration: config, producer: producer, coordinator: coordinator,
                                       registry: nil, logger: TestKafka.logger)
    }

    /// The incident log as it is now; every 200 answer means its records are in.
    func incidentLog() async throws -> [KafkaConsumerMessage] {
        try await TestKafka.readAll(topics.incidents, cluster: cluster)
    }
}

@Suite("alert-ingestor HTTP API")
struct IngestorHTTPTests {
    @Test func acceptsAWebhookOnlyOnceAndWritesValidEvents() async throws {
        let f = try IngestorFixture()
        let body = encode(webhook([alert("a"), alert("b")]))
        try await f.app.test(.router) { client in
            try await client.execute(uri: "/api/v1/alerts", method: .post, body: body) { r in
                #expect(r.status == .ok)
                let outcome = try JSONDecoder().decode(IngestOutcome.self, from: Data(buffer: r.body))
                #expect(outcome.accepted == 2)
                #expect(outcome.events == 3)
            }
            try await client.execute(uri: "/api/v1/alerts", method: .post, body: body) { r in
                #expect(r.status == .ok)
                let outcome = try JSONDecoder().decode(IngestOutcome.self, from: Data(buffer: r.body))
                #expect(outcome.duplicates == 2)
                #expect(outcome.events == 0)
            }
        }
        let log = try await f.incidentLog()
        #expect(log.count == 3)
        for m in log { #expect(TestSchemas.violations(ofIncidentRecord: m) == []) }
        let raw = try await TestKafka.readAll(f.topics.alerts)
        #expect(raw.count == 2)
        #expect(Set(raw.compactMap(\.keyString)) == ["a", "b"])
        for m in raw { #expect(TestSchemas.violations(of: m, as: "NormalizedAlert") == []) }
        await f.producer.close()
    }

    @Test func malformedInputGets400NamingTheField() async throws {
        let f = try IngestorFixture()
        try await f.app.test(.router) { client in
            let bad = #"{"version":"4","groupKey":"g","status":"firing","alerts":[{"status":"firing","startsAt":"later"}]}"#
            try await client.execute(uri: "/api/v1/alerts", method: .post, body: ByteBuffer(string: bad)) { r in
                #expect(r.status == .badRequest)
                #expect(r.headers[.contentType] == "application/json")
                let text = String(buffer: r.body)
                #expect(text.contains(#""field":"alerts[0].startsAt""#))
            }
            try await client.execute(uri: "/api/v1/incidentreports", method: .post,
                                     body: ByteBuffer(string: "apiVersion: v9\nkind: IncidentReport\n")) { r in
                #expect(r.status == .badRequest)
            }
        }
        await f.producer.close()
    }

    @Test func oversizedBodyGets413() async throws {
        let f = try IngestorFixture { $0.maxBodyBytes = 1024 }
        try await f.app.test(.router) { client in
            let big = encode(webhook((0..<50).map { alert("fp\($0)") }))
            try await client.execute(uri: "/api/v1/alerts", method: .post, body: big) { r in
                #expect(r.status == .contentTooLarge)
            }
        }
        await f.producer.close()
    }

    @Test func bearerTokenAndBasicAuthAreEnforced() async throws {
        let f = try IngestorFixture {
            $0.bearerToken = "s3cret"
            $0.basicAuthUser = "am"
            $0.basicAuthPassword = "pw"
        }
        let body = encode(webhook([alert("a")]))
        try await f.app.test(.router) { client in
            try await client.execute(uri: "/api/v1/alerts", method: .post, body: body) { r in
                #expect(r.status == .unauthorized)
            }
            try await client.execute(uri: "/api/v1/alerts", method: .post,
                                     headers: [.authorization: "Bearer wrong"], body: body) { r in
                #expect(r.status == .unauthorized)
            }
            try await client.execute(uri: "/api/v1/alerts", method: .post,
                                     headers: [.authorization: "Basic \(Data("am:nope".utf8).base64EncodedString())"],
                                     body: body) { r in
                #expect(r.status == .unauthorized)
            }
            try await client.execute(uri: "/api/v1/alerts", method: .post,
                                     headers: [.authorization: "Bearer s3cret"], body: body) { r in
                #expect(r.status == .ok)
            }
            try await client.execute(uri: "/api/v1/alerts", method: .post,
                                     headers: [.authorization: "Basic \(Data("am:pw".utf8).base64EncodedString())"],
                                     body: body) { r in
                #expect(r.status == .ok)
            }
            // Operational endpoints stay open for probes.
            try await client.execute(uri: "/healthz", method: .get) { r in #expect(r.status == .ok) }
        }
        await f.producer.close()
    }

    @Test func incidentReportOpensAnIncident() async throws {
        let f = try IngestorFixture()
        try await f.app.test(.router) { client in
            try await client.execute(uri: "/api/v1/incidentreports", method: .post,
                                     headers: [.contentType: "application/yaml"],
                                     body: ByteBuffer(string: InputValidationTests.report)) { r in
                #expect(r.status == .ok)
            }
        }
        let log = try await f.incidentLog()
        let event = try IncidentEventCodec.decode(try #require(log.first))
        #expect(event.type == "IncidentOpened")
        #expect(TestSchemas.violations(ofIncidentRecord: log[0]) == [])
        await f.producer.close()
    }

    @Test func theCorrelationSettingSplitsACoarseGroupIntoOneIncidentPerAlertName() async throws {
        let config = try IngestorConfiguration(ConfigSource(environment: TestKeys.environment("alert-ingestor")
            .merging(["INGESTOR_CORRELATE_BY": "alertname"]) { a, _ in a }))
        #expect(config.correlation.labels == ["alertname"])
        #expect(throws: ConfigError.self) {
            try IngestorConfiguration(ConfigSource(environment: TestKeys.environment("alert-ingestor")
                .merging(["INGESTOR_CORRELATE_BY": "alertname,bad-label"]) { a, _ in a }))
        }
        let f = try IngestorFixture { $0.correlation = Correlation(labels: ["alertname"]) }
        // kube-prometheus groups by namespace: three problems in one notification.
        var group = webhook([alert("a", name: "KubePodCrashLooping"), alert("b", name: "KubePodCrashLooping"),
                             alert("c", name: "KubeHpaMaxedOut"), alert("d", name: "CPUThrottlingHigh")],
                            group: "{}:{namespace=\"shop\"}")
        group.groupLabels = ["namespace": "shop"]
        group.commonLabels = ["namespace": "shop"]
        let first = group
        group.alerts.append(alert("e", name: "KubeHpaMaxedOut"))
        let second = group
        try await f.app.test(.router) { client in
            try await client.execute(uri: "/api/v1/alerts", method: .post, body: encode(first)) { r in
                #expect(r.status == .ok)
                let outcome = try JSONDecoder().decode(IngestOutcome.self, from: Data(buffer: r.body))
                #expect(outcome.accepted == 4)
                #expect(outcome.incidentIDs?.count == 3)
            }
            // The next delivery of the group brings one more alert of a known name: it joins that incident.
            try await client.execute(uri: "/api/v1/alerts", method: .post, body: encode(second)) { r in
                let outcome = try JSONDecoder().decode(IngestOutcome.self, from: Data(buffer: r.body))
                #expect(outcome.accepted == 1 && outcome.duplicates == 4)
            }
        }
        let events = try await f.incidentLog().map { try IncidentEventCodec.decode($0) }
        let opened = events.compactMap { e -> (String, IncidentOpened)? in
            if case .incidentOpened(let o) = e.payload { (e.incidentID, o) } else { nil }
        }
        #expect(opened.count == 3)
        #expect(Set(opened.map { $0.1.labels["alertname"] ?? "" }) == ["KubePodCrashLooping", "KubeHpaMaxedOut", "CPUThrottlingHigh"])
        #expect(opened.allSatisfy { $0.1.groupKey.hasPrefix("{}:{namespace=\"shop\"}|alertname=") })
        let hpa = try #require(opened.first { $0.1.labels["alertname"] == "KubeHpaMaxedOut" }?.0)
        let attached = events.filter { $0.incidentID == hpa && $0.type == "AlertAttached" }
        #expect(attached.count == 2)
        for e in events { #expect(TestSchemas.violations(ofIncidentEvent: e) == [], "\(e.type)") }
        await f.producer.close()
    }

    @Test func aRecordTheLogRefusesGets422NotARetryable503() async throws {
        // A producer whose record limit is below one of this alert's records: as a broker's message.max.bytes would.
        let topics = try TestKafka.topics()
        var pc = KafkaProducerConfiguration(kafka: TestKafka.configuration(TestKafka.shared))
        pc.kafka.properties["message.max.bytes"] = "8000"
        let producer = try KafkaProducer(configuration: pc, signer: ClaimedProducerSigner(), logger: TestKafka.logger)
        let config = IngestorConfiguration(common: TestKeys.common("alert-ingestor", topics: topics))
        let coordinator = IngestCoordinator(producer: producer, topics: topics, logger: TestKafka.logger)
        let app = buildIngestorApplication(configuration: config, producer: producer, coordinator: coordinator,
                                           registry: nil, logger: TestKafka.logger)
        var big = alert("big")
        big.annotations["description"] = String(repeating: "x", count: 12_000) // within every webhook bound
        let refused = encode(webhook([big]))
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/v1/alerts", method: .post, body: refused) { r in
                #expect(r.status == .unprocessableContent)
                #expect(r.headers[.retryAfter] == nil)
                let body = String(buffer: r.body)
                #expect(body.contains("record_rejected"), "\(body)")
            }
            // A normal alert still goes through: the group is not stuck behind the refused one.
            try await client.execute(uri: "/api/v1/alerts", method: .post, body: encode(webhook([alert("small")], group: "other"))) { r in
                #expect(r.status == .ok)
            }
        }
        await producer.close()
    }

    @Test func kafkaDownGets503WithRetryAfterAndNothingIsLost() async throws {
        let cluster = try TestKafka.isolatedCluster()
        let f = try IngestorFixture(cluster: cluster, deliveryTimeoutMs: 1_500)
        let first = encode(webhook([alert("a")]))
        let second = encode(webhook([alert("a"), alert("b")]))
        try await f.app.test(.router) { client in
            try await client.execute(uri: "/api/v1/alerts", method: .post, body: first) { r in #expect(r.status == .ok) }
            try cluster.setAllBrokers(up: false)
            try await client.execute(uri: "/api/v1/alerts", method: .post, body: second) { r in
                #expect(r.status == .serviceUnavailable)
                #expect(r.headers[.retryAfter] == "7")
                #expect(String(buffer: r.body).contains("kafka_unavailable"))
            }
            try await client.execute(uri: "/readyz", method: .get) { r in #expect(r.status == .serviceUnavailable) }
            try cluster.setAllBrokers(up: true)
            // Alertmanager retries the same notification until it is accepted.
            var status = HTTPResponse.Status.serviceUnavailable
            for _ in 0..<20 where status != .ok {
                status = try await client.execute(uri: "/api/v1/alerts", method: .post, body: second).status
                #expect(status == .ok || status == .serviceUnavailable)
            }
            #expect(status == .ok)
            try await client.execute(uri: "/readyz", method: .get) { r in #expect(r.status == .ok) }
        }
        let log = try await f.incidentLog()
        var fold = IncidentLogFold()
        for m in log { fold.apply(try IncidentEventCodec.decode(m)) }
        #expect(fold.incidents.count == 1)
        let incident = try #require(fold.incidents.values.first)
        #expect(incident.firingAlerts.map(\.fingerprint) == ["a", "b"])
        #expect(incident.events.map(\.type) == ["IncidentOpened", "AlertAttached", "AlertAttached"])
        await f.producer.close()
    }
}
