import Foundation
import Hummingbird
import IncidentLog
@testable import Ingest
import Kafka
import ServiceLifecycle
import TestSupport
import Testing

/// A real Alertmanager posts to a real alert-ingestor over loopback HTTP.
@Suite("End to end with a real Alertmanager",
       .enabled(if: TestAlertmanager.isAvailable || ProcessInfo.processInfo.environment["CI"] != nil))
struct AlertmanagerEndToEndTests {
    @Test func alertsReachTheLogAndResolvingThemResolvesTheIncident() async throws {
        let topics = try TestKafka.topics()
        let producer = try TestKafka.producer()
        var config = IngestorConfiguration(common: TestKeys.common("alert-ingestor", topics: topics))
        config.port = try freeLoopbackPort()
        config.bearerToken = "am-token"
        let coordinator = IngestCoordinator(producer: producer, topics: topics, logger: TestKafka.logger)
        let app = buildIngestorApplication(configuration: config, producer: producer, coordinator: coordinator,
                                           registry: nil, logger: TestKafka.logger)
        let server = Task { try await app.runService() }
        defer { server.cancel() }
        try await waitUntilReady("http://127.0.0.1:\(config.port)/healthz")

        let am = try await TestAlertmanager(webhookURL: "http://127.0.0.1:\(config.port)/api/v1/alerts",
                                            bearerToken: "am-token")
        defer { am.stop() }
        let startsAt = RFC3339.format(Date().addingTimeInterval(-60))
        func alert(_ pod: String, endsAt: String? = nil) -> [String: Any] {
            var a: [String: Any] = [
                "labels": ["alertname": "KafkaConsumerLagHigh", "service": "orders-consumer", "severity": "warning",
                           "pod": pod],
                "annotations": ["summary": "Consumer lag above 10k messages"],
                "startsAt": startsAt, "generatorURL": "http://prometheus:9090/graph",
            ]
            if let endsAt { a["endsAt"] = endsAt }
            return a
        }
        try await am.post(alerts: [alert("orders-0"), alert("orders-1")])
        let opened = try await TestKafka.waitForEvents(topics) { events in
            events.filter { $0.type == "AlertAttached" }.count >= 2
        }
        #expect(opened.first?.type == "IncidentOpened")
        let incidentID = try #require(opened.first?.incidentID)

        let now = RFC3339.format(Date())
        try await am.post(alerts: [alert("orders-0", endsAt: now), alert("orders-1", endsAt: now)])
        let all = try await TestKafka.waitForEvents(topics) { events in events.contains { $0.type == "IncidentResolved" } }
        let state = IncidentState(id: incidentID, events: all)
        #expect(state.status == .resolved)
        #expect(state.events.filter { $0.type == "AlertResolved" }.count == 2)
        #expect(Set(all.map(\.incidentID)) == [incidentID])
        let records = try await TestKafka.readAll(topics.incidents)
        for r in records { #expect(TestSchemas.violations(ofIncidentRecord: r) == []) }
        await producer.close()
    }
}
