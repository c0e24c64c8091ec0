import Foundation
@testable import IncidentLog
import Kafka
import TestSupport
import Testing
import Yams

@Suite("RFC 3339")
struct RFC3339Tests {
    @Test(arguments: [
        ("2026-11-27T21:00:00Z", 1_795_813_200.0),
        ("2026-11-27T21:00:00.5Z", 1_795_813_200.5),
        ("2026-11-27T21:00:00.123456789Z", 1_795_813_200.123456789),
        ("2026-11-27T23:00:00+02:00", 1_795_813_200.0),
        ("1970-01-01T00:00:00Z", 0.0),
    ])
    func parses(_ text: String, _ seconds: Double) throws {
        let d = try #require(RFC3339.parse(text))
        #expect(abs(d.timeIntervalSince1970 - seconds) < 0.000_001)
    }

    @Test(arguments: ["", "2026-11-27", "2026-13-01T00:00:00Z", "2026-11-27T21:00:00", "2026-11-27T21:00:00.Z",
                      "2026-11-27T21:00:00Zjunk", "yesterday"])
    func rejects(_ text: String) { #expect(RFC3339.parse(text) == nil) }

    @Test func formatsWithMillisecondsInUTC() {
        #expect(RFC3339.format(Date(timeIntervalSince1970: 1_795_813_200.1239)) == "2026-11-27T21:00:00.123Z")
        #expect(RFC3339.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
        #expect(RFC3339.parse(RFC3339.format(Date(timeIntervalSince1970: 951_782_400))) == Date(timeIntervalSince1970: 951_782_400))
    }

    @Test func zeroTimeIsRecognised() { #expect(RFC3339.isZeroTime("0001-01-01T00:00:00Z")) }
}

@Suite("Event ids and trace context")
struct EventIDTests {
    @Test func idsAreDeterministicAndDistinct() {
        let a = EventIDs.event(causation: "c", producer: "p", step: "s")
        #expect(a == EventIDs.event(causation: "c", producer: "p", step: "s"))
        #expect(a != EventIDs.event(causation: "c", producer: "p", step: "t"))
        #expect(EventIDs.event(causation: "ab", producer: "c", step: "") != EventIDs.event(causation: "a", producer: "bc", step: ""))
        #expect(a.hasPrefix("ev-") && a.count == 35)
        #expect(EventIDs.incident(source: "alertmanager", parts: ["g"]).count == 24)
    }

    @Test func traceContextChildKeepsTheTrace() throws {
        let root = TraceContext.newRoot()
        let parsed = try #require(TraceContext(header: root.traceparent))
        #expect(parsed.traceID == root.traceID)
        let child = root.child()
        #expect(child.traceID == root.traceID)
        #expect(child.spanID != root.spanID)
        #expect(TraceContext(header: "00-00000000000000000000000000000000-0000000000000001-01") == nil)
        #expect(TraceContext(header: "01-abc") == nil)
    }
}

func event(_ incident: String, _ step: String, _ payload: IncidentEventPayload, at: TimeInterval = 0) -> IncidentEvent {
    .derived(incidentID: incident, producer: "test", causationID: "cause", step: step, trace: .newRoot(),
             occurredAt: Date(timeIntervalSince1970: 1_795_813_200 + at), payload: payload)
}

let opened = IncidentOpened(source: .alertmanager, groupKey: "{}:{alertname=\"X\"}", title: "X: broken",
                            severity: "critical", service: "payments-api", receiver: "aiops", externalURL: nil,
                            labels: ["alertname": "X"], annotations: ["summary": "broken"])

func attached(_ fp: String) -> AlertAttached {
    AlertAttached(alertID: EventIDs.alert(groupKey: "g", fingerprint: fp, status: "firing", startsAt: "t"),
                  fingerprint: fp, alertname: "X", startsAt: "2026-11-27T21:00:00.000Z", generatorURL: nil,
                  labels: ["alertname": "X"], annotations: [:])
}

func resolved(_ fp: String) -> AlertResolved {
    AlertResolved(alertID: EventIDs.alert(groupKey: "g", fingerprint: fp, status: "resolved", startsAt: "t"),
                  fingerprint: fp, alertname: "X", startsAt: "2026-11-27T21:00:00.000Z", endsAt: "2026-11-27T21:05:00.000Z")
}

@Suite("Incident fold")
struct IncidentStateTests {
    let inc = EventIDs.incident(source: "alertmanager", parts: ["g", "t"])

    @Test func foldsAnIncidentAndDropsDuplicates() {
        let events = [
            event(inc, "open", .incidentOpened(opened)),
            event(inc, "a1", .alertAttached(attached("fp1")), at: 1),
            event(inc, "a2", .alertAttached(attached("fp2")), at: 2),
            event(inc, "r1", .alertResolved(resolved("fp1")), at: 3),
        ]
        var state = IncidentState(id: inc, events: events)
        #expect(state.status == .open)
        #expect(state.firingAlerts.map(\.fingerprint) == ["fp2"])
        #expect(state.title == "X: broken")
        // A redelivered event changes nothing.
        let again = state.apply(events[1])
        #expect(again == false)
        #expect(state.events.count == 4)
        let applied = state.apply(event(inc, "done", .incidentResolved(.init(reason: "all resolved")), at: 4))
        #expect(applied)
        #expect(state.status == .resolved)
        let other = state.apply(event("inc-other", "x", .incidentResolved(.init(reason: ""))))
        #expect(other == false)
    }

    @Test func foldOfManyIncidentsCountsDuplicates() {
        var fold = IncidentLogFold()
        let e = event(inc, "open", .incidentOpened(opened))
        fold.apply(e)
        fold.apply(e)
        fold.apply(event("inc-00000000000000000002", "open", .incidentOpened(opened), at: 5))
        #expect(fold.incidents.count == 2)
        #expect(fold.duplicates == 1)
        #expect(fold.sorted.first?.id == "inc-00000000000000000002")
    }
}

@Suite("Codec and schemas")
struct CodecTests {
    let inc = EventIDs.incident(source: "alertmanager", parts: ["g", "t"])

    @Test(arguments: [
        IncidentEventPayload.incidentOpened(opened), .alertAttached(attached("fp")), .alertResolved(resolved("fp")),
        .incidentResolved(.init(reason: "all 1 alert(s) resolved")),
    ])
    func everyEventTypeRoundTripsAndMatchesItsSchema(_ payload: IncidentEventPayload) throws {
        let e = event(inc, "step", payload)
        let message = try IncidentEventCodec.encode(e, topics: TopicSet(prefix: "x."))
        #expect(message.topic == "x.aiops.incidents.v1")
        #expect(message.key == Array(inc.utf8))
        #expect(message.headers.contains(KafkaHeader(key: "event_type", string: e.type)))
        #expect(message.headers.contains(KafkaHeader(key: "traceparent", string: e.trace.traceparent)))
        let back = try IncidentEventCodec.decode(KafkaConsumerMessage(topic: message.topic, partition: 0, offset: 0,
                                                                      key: message.key, value: message.value))
        #expect(back.eventID == e.eventID)
        #expect(back.payload == e.payload)
        #expect(abs(back.occurredAt.timeIntervalSince(e.occurredAt)) < 0.001)
        #expect(TestSchemas.violations(ofIncidentEvent: e) == [])
    }

    @Test func unknownTypesAreKeptNotLost() throws {
        let json = #"{"event_id":"ev-0123456789abcdef0123456789abcdef","incident_id":"inc-0123456789abcdef0123","type":"SomethingNew","schema_version":3,"occurred_at":"2026-11-27T21:00:00Z","producer":"future","causation_id":null,"trace":{"traceparent":"00-0123456789abcdef0123456789abcdef-0123456789abcdef-01"},"payload":{"x":1}}"#
        let e = try IncidentEventCodec.decode(KafkaConsumerMessage(topic: "t", partition: 0, offset: 0, key: nil,
                                                                   value: Array(json.utf8)))
        #expect(e.type == "SomethingNew")
        #expect(e.payload == .unknown(type: "SomethingNew", payload: .object(["x": .number(1)])))
    }

    /// Ids that do not match their schema format, a bad traceparent, newlines smuggled into ids:
    /// rejected at decoding with the field named, never a trap.
    @Test func malformedEnvelopesAreRejectedWithTheField() throws {
        let good = #"{"event_id":"ev-0123456789abcdef0123456789abcdef","incident_id":"inc-0123456789abcdef0123","type":"IncidentResolved","schema_version":1,"occurred_at":"2026-11-27T21:00:00Z","producer":"alert-ingestor","causation_id":null,"trace":{"traceparent":"00-0123456789abcdef0123456789abcdef-0123456789abcdef-01"},"payload":{"reason":"r"}}"#
        func decode(_ json: String) throws -> IncidentEvent {
            try IncidentEventCodec.decode(KafkaConsumerMessage(topic: "t", partition: 0, offset: 0, key: nil, value: Array(json.utf8)))
        }
        _ = try decode(good)
        let bad: [(String, String)] = [
            ("inc-0123456789abcdef0123", "inc-0123456789abcdef0123\\nev-x\\nkubectl.scale"),
            ("00-0123456789abcdef0123456789abcdef-0123456789abcdef-01", "garbage"),
            ("00-0123456789abcdef0123456789abcdef-0123456789abcdef-01", "00-00000000000000000000000000000000-0123456789abcdef-01"),
            ("alert-ingestor", "Alert Ingestor\\u001b[31m"),
            ("ev-0123456789abcdef0123456789abcdef", "ev-1"),
            ("\"causation_id\":null", "\"causation_id\":\"a\\u0000b\""),
        ]
        for (from, to) in bad {
            let json = good.replacingOccurrences(of: from, with: to)
            #expect(throws: DecodingError.self, "\(to)") { try decode(json) }
        }
        // A malformed trace context built in code never traps either.
        let broken = TraceContext(traceparent: "garbage")
        #expect(broken.traceID == "")
        #expect(TraceContext(header: broken.child().traceparent) != nil, "a child of garbage is a new root")
    }

    @Test func theValidatorCatchesViolations() throws {
        var bad = event(inc, "s", .incidentOpened(opened))
        bad.eventID = "not-an-id"
        let problems = TestSchemas.violations(ofIncidentEvent: bad)
        #expect(problems.contains { $0.contains("$.event_id") })
        let missing = try TestSchemas.registry.validateIncidentEvent(Data(#"{"type":"AlertAttached","payload":{}}"#.utf8))
        #expect(missing.contains("$: missing required property event_id"))
        #expect(missing.contains("payload: missing required property fingerprint"))
    }

    @Test func topicsSwiftMatchesTopicsYAML() throws {
        let text = try String(contentsOf: TestSchemas.repositoryRoot.appendingPathComponent("topics/topics.yaml"), encoding: .utf8)
        struct File: Decodable { var topics: [T] }
        struct T: Decodable {
            var name: String; var partitions: Int; var key: String; var cleanup_policy: String; var retention_ms: Int64
            var purpose: String
        }
        let declared = try YAMLDecoder().decode(File.self, from: text).topics
        #expect(declared.map(\.name) == Topics.all.map(\.name))
        for (y, s) in zip(declared, Topics.all) {
            #expect(y.partitions == s.partitions)
            #expect(y.key == s.key)
            #expect(y.cleanup_policy == s.cleanupPolicy)
            #expect(y.retention_ms == s.retentionMs)
            #expect(y.purpose == s.purpose)
        }
        #expect(Topics.incidents.cleanupPolicy == "delete") // never compacted
        #expect(TopicSet(prefix: "p.").incidents == "p.aiops.incidents.v1")
    }
}

@Suite("generatorURL")
struct GeneratorURLTests {
    /// Prometheus form-encodes the rule's expression (Go's url.QueryEscape): a space is `+`, a plus is `%2B`.
    @Test func theExpressionIsReadAsPrometheusEncodesIt() {
        let prometheus = "http://prometheus:9090/graph?g0.expr=label_replace%28aiops_consumer_group_status%7Bstatus%3D%22STOPPED%22%7D+%3D%3D+1%2C+%22deployment%22%2C+%22%241%22%2C+%22group%22%2C+%22aiops-%28%5Ba-z%5D%2B%29.%2A%22%29&g0.tab=1"
        #expect(GeneratorURL.expression(prometheus)
                == #"label_replace(aiops_consumer_group_status{status="STOPPED"} == 1, "deployment", "$1", "group", "aiops-([a-z]+).*")"#)
        #expect(GeneratorURL.expression("http://p/graph?g0.expr=a%20%2B%20b&g0.tab=1") == "a + b")
        #expect(GeneratorURL.expression("http://p/graph?g0.tab=1") == nil)
        #expect(GeneratorURL.expression("http://p/graph?g0.expr=") == nil)
        #expect(GeneratorURL.expression("http://p/graph?g0.expr=" + String(repeating: "a", count: 20_000)) == nil)
    }
}
