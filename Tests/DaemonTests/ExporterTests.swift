import DaemonRuntime
import Exporter
import Foundation
import HTTPClient
import IncidentLog
import Kafka
import ServiceLifecycle
import TestSupport
import Testing

/// The exporter's judgement of consumer groups, its fold of the log, and the
/// exporter itself on the mock cluster, started through `buildExporter`.
@Suite("aiops exporter")
struct ExporterTests {
    typealias S = ConsumerGroupStatus.Sample

    @Test func groupStatusIsJudgedOverAFullWindow() {
        #expect(ConsumerGroupStatus.of([S(committed: 0, logEnd: 9), S(committed: 0, logEnd: 9)]) == .ok, "too few samples")
        #expect(ConsumerGroupStatus.of([S(committed: 9, logEnd: 9), S(committed: 9, logEnd: 9), S(committed: 9, logEnd: 9)]) == .ok)
        #expect(ConsumerGroupStatus.of([S(committed: 4, logEnd: 9), S(committed: 4, logEnd: 12), S(committed: 4, logEnd: 15)]) == .stopped)
        #expect(ConsumerGroupStatus.of([S(committed: 4, logEnd: 9), S(committed: 6, logEnd: 13), S(committed: 8, logEnd: 17)]) == .stalled)
        #expect(ConsumerGroupStatus.of([S(committed: 4, logEnd: 9), S(committed: 8, logEnd: 13), S(committed: 12, logEnd: 15)]) == .ok,
                "catching up")
        #expect(ConsumerGroupStatus.worst([.ok, .stalled, .ok]) == .stalled)
        #expect(ConsumerGroupStatus.worst([.stalled, .stopped]) == .stopped)
    }

    static func event(_ incident: String, _ producer: String, _ step: String, at: Date, _ payload: IncidentEventPayload) -> IncidentEvent {
        .derived(incidentID: incident, producer: producer, causationID: incident, step: step, trace: .newRoot(), occurredAt: at,
                 payload: payload)
    }

    static func opened(_ incident: String, at: Date) -> IncidentEvent {
        event(incident, "alert-ingestor", "opened", at: at, .incidentOpened(IncidentOpened(
            source: .alertmanager, groupKey: "g", title: "A", severity: "critical", service: nil, receiver: "aiops", externalURL: nil,
            labels: ["alertname": "A"], annotations: [:])))
    }

    static func triage(_ incident: String, at: Date, step: String = "triage@A") -> IncidentEvent {
        event(incident, "reasoner", step, at: at, .triageProposed(TriageProposed(
            steps: [], likelyCause: nil, runbook: nil, unknowns: [], rejectedSteps: [], observations: [], alertname: "A")))
    }

    @Test func theFoldCountsIncidentsTimeToTriageAndWaitingApprovals() throws {
        let a = EventIDs.incident(source: "alertmanager", parts: [UUID().uuidString])
        let b = EventIDs.incident(source: "alertmanager", parts: [UUID().uuidString])
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        var fold = LogMetrics()
        #expect(fold.apply(Self.opened(a, at: t0)) == nil)
        #expect(fold.apply(Self.opened(b, at: t0)) == nil)
        #expect(fold.apply(Self.triage(a, at: t0.addingTimeInterval(2.5))) == 2.5, "time to triage: opened → first triage")
        #expect(fold.apply(Self.triage(a, at: t0.addingTimeInterval(9), step: "again@A")) == nil, "only the first triage of an alert counts")
        _ = fold.apply(Self.event(b, "reasoner", "escalate", at: t0, .incidentEscalated(IncidentEscalated(reason: "x", summary: "y"))))
        #expect(fold.incidents == ["open": 1, "resolved": 0, "escalated": 1])
        #expect(fold.eventsByType["IncidentOpened"] == 2 && fold.eventsByType["TriageProposed"] == 2)
        #expect(fold.approvalsWaiting == 0)
    }

    @Test func theFoldForgetsIncidentsResolvedLongAgoAndKeepsItsTotals() throws {
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        var fold = LogMetrics(retain: 3600)
        let ids = (0..<3).map { _ in EventIDs.incident(source: "alertmanager", parts: [UUID().uuidString]) }
        for id in ids { fold.apply(Self.opened(id, at: t0)) }
        // The first is resolved with a request still waiting; the second escalated; the third stays open.
        fold.apply(Self.event(ids[0], "approver", "ask", at: t0, .approvalRequested(ApprovalRequested(
            requestID: "rq-1", action: "ops.restart", parameters: [:], risk: "destructive", rationale: "r",
            expiresAt: "2099-01-01T00:00:00Z"))))
        fold.apply(Self.event(ids[0], "alert-ingestor", "resolve", at: t0.addingTimeInterval(60), .incidentResolved(IncidentResolved(reason: "ok"))))
        fold.apply(Self.event(ids[1], "reasoner", "escalate", at: t0, .incidentEscalated(IncidentEscalated(reason: "x", summary: "y"))))
        #expect(fold.approvalsWaiting == 1)
        // An hour and more of log later the resolved incident is forgotten: its state, its waiting request; not its count.
        for n in 0..<10_000 { fold.apply(Self.triage(ids[2], at: t0.addingTimeInterval(7_200), step: "t\(n)@A")) }
        #expect(fold.keptIncidents == 2)
        #expect(fold.incidents == ["open": 1, "resolved": 1, "escalated": 1])
        #expect(fold.approvalsWaiting == 0)
        #expect(fold.eventsByType["TriageProposed"] == 10_000)
        // A late event of the forgotten incident is counted, and forgotten in turn once as old.
        fold.apply(Self.triage(ids[0], at: t0.addingTimeInterval(7_300)))
        #expect(fold.keptIncidents == 3 && fold.incidents == ["open": 1, "resolved": 1, "escalated": 1])
        fold.apply(Self.triage(ids[2], at: t0.addingTimeInterval(20_000), step: "late@A"))
        fold.prune()
        #expect(fold.keptIncidents == 2)
    }

    @Test func exporterServesOffsetsStatusAndTheFoldOfAuthenticEvents() async throws {
        let topics = try TestKafka.topics()
        let incident = EventIDs.incident(source: "alertmanager", parts: [UUID().uuidString])
        let now = Date()
        let signed = try TestKafka.producer()
        _ = try await signed.send([try IncidentEventCodec.encode(Self.opened(incident, at: now), topics: topics),
                                   try IncidentEventCodec.encode(Self.triage(incident, at: now.addingTimeInterval(0.2)), topics: topics)])
        // Unsigned: read by nobody, counted by nobody.
        let forger = try TestKafka.producer(signer: nil)
        let forged = EventIDs.incident(source: "alertmanager", parts: [UUID().uuidString])
        _ = try await forger.send(try IncidentEventCodec.encode(Self.opened(forged, at: now), topics: topics))

        // The group consumes and commits the first record, then stops.
        let group = TestKafka.uniqueGroup()
        let consumer = try TestKafka.consumer(group: group, topics: [topics.incidents])
        var first: KafkaConsumerMessage?
        let until = ContinuousClock.now + .seconds(20)
        while first == nil, ContinuousClock.now < until { first = try await consumer.nextBatch(maxMessages: 1).first }
        _ = try consumer.storeOffset(try #require(first))
        try await consumer.commit()
        await consumer.close()
        var c = ExporterConfiguration(kafka: TestKafka.configuration(), topics: topics, keyring: TestKeys.keyring)
        c.port = try freeLoopbackPort()
        c.groups = [group, "never-" + group]
        c.interval = .milliseconds(200)
        c.window = 3
        let services = buildExporter(c, registry: TestMetrics.registry, logger: TestKafka.logger)
        let running = ServiceGroup(configuration: .init(services: services.map { .init(service: $0) }, logger: TestKafka.logger))
        let task = Task { try await running.run() }
        defer { task.cancel() }
        let base = "http://127.0.0.1:\(c.port)"
        try await waitUntilReady("\(base)/readyz")

        // A group that commits nothing while records wait on its topic is STOPPED after a full window.
        let stopped = "aiops_consumer_group_status{group=\"\(group)\",status=\"STOPPED\"} 1"
        var text = ""
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            text = try await HTTPClient().request("GET", "\(base)/metrics").text
            if text.contains(stopped) { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(text.contains(stopped), "\(text.split(separator: "\n").filter { $0.contains(group) })")
        #expect(text.contains("aiops_consumer_group_lag{group=\"\(group)\",topic=\"\(topics.incidents)\"} 2"))
        #expect(!text.contains("group=\"never-\(group)\""), "a group that never committed is not judged")
        #expect(text.contains("aiops_topic_log_end_offset{topic=\"\(topics.incidents)\",partition=\"0\"}"))
        #expect(text.contains("aiops_time_to_triage_seconds_count"))
        #expect(text.contains("aiops_log_events_total{type=\"TriageProposed\"} 1"))
        #expect(text.contains("aiops_log_events_total{type=\"IncidentOpened\"} 1"), "the unsigned IncidentOpened is not counted")
        await running.triggerGracefulShutdown()
        try await task.value
    }
}
