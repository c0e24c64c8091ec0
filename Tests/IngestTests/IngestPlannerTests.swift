import Foundation
import IncidentLog
@testable import Ingest
import TestSupport
import Testing

func alert(_ fp: String, _ status: String = "firing", startsAt: String = "2026-11-27T21:00:00Z",
           endsAt: String = "0001-01-01T00:00:00Z", name: String = "HighLatency") -> AlertmanagerWebhook.Alert {
    .init(status: status, labels: ["alertname": name, "service": "payments-api", "severity": "critical", "pod": fp],
          annotations: ["summary": "p99 above 2s"], startsAt: startsAt, endsAt: endsAt,
          generatorURL: "http://prometheus/graph", fingerprint: fp)
}

func webhook(_ alerts: [AlertmanagerWebhook.Alert], group: String = "{}:{alertname=\"HighLatency\"}") -> AlertmanagerWebhook {
    AlertmanagerWebhook(groupKey: group, status: alerts.contains { $0.status == "firing" } ? "firing" : "resolved",
                        receiver: "aiops", groupLabels: ["alertname": "HighLatency"],
                        commonLabels: ["alertname": "HighLatency", "service": "payments-api", "severity": "critical"],
                        commonAnnotations: ["summary": "p99 above 2s"], externalURL: "http://alertmanager:9093",
                        alerts: alerts)
}

/// Applies plans the way the coordinator does after Kafka acknowledged them.
struct PlannerHarness {
    var state = IngestState()
    let now = Date(timeIntervalSince1970: 1_795_813_300)

    mutating func deliver(_ w: AlertmanagerWebhook) -> IngestPlan {
        let plan = IngestPlanner.plan(w, open: state.open[w.groupKey], recent: state.recent, receivedAt: now,
                                      trace: .newRoot())
        state.open[w.groupKey] = plan.newGroupState
        for id in plan.seenAlertIDs { state.recent.insert(id) }
        return plan
    }
}

@Suite("Grouping and deduplication")
struct IngestPlannerTests {
    @Test func firstFiringAlertOpensAnIncidentAndLaterOnesJoinIt() {
        var h = PlannerHarness()
        let p1 = h.deliver(webhook([alert("a")]))
        #expect(p1.events.map(\.type) == ["IncidentOpened", "AlertAttached"])
        #expect(p1.alerts.count == 1)
        let p2 = h.deliver(webhook([alert("a"), alert("b")]))
        #expect(p2.events.map(\.type) == ["AlertAttached"])
        #expect(p2.duplicates == 1)
        #expect(p2.events[0].incidentID == p1.events[0].incidentID)
        for e in p1.events + p2.events { #expect(TestSchemas.violations(ofIncidentEvent: e) == []) }
        if case .incidentOpened(let o) = p1.events[0].payload {
            #expect(o.title == "HighLatency: p99 above 2s")
            #expect(o.service == "payments-api")
            #expect(o.severity == "critical")
        } else { Issue.record("first event is not IncidentOpened") }
    }

    @Test func sameDeliveryTwiceIsOneAlert() {
        var h = PlannerHarness()
        let w = webhook([alert("a"), alert("b")])
        let first = h.deliver(w)
        let second = h.deliver(w) // HA peer or Alertmanager retry
        #expect(first.events.count == 3)
        #expect(second.events.isEmpty)
        #expect(second.alerts.isEmpty)
        #expect(second.duplicates == 2)
    }

    @Test func aRetryAfterAFailedDeliveryPlansTheSameIDs() {
        let h = PlannerHarness()
        let w = webhook([alert("a")])
        // Nothing committed in between: a failed produce leaves the state untouched.
        let p1 = IngestPlanner.plan(w, open: nil, recent: h.state.recent, receivedAt: h.now, trace: .newRoot())
        let p2 = IngestPlanner.plan(w, open: nil, recent: h.state.recent, receivedAt: h.now.addingTimeInterval(30),
                                    trace: .newRoot())
        #expect(p1.events.map(\.eventID) == p2.events.map(\.eventID))
        #expect(p1.incidentID == p2.incidentID)
        #expect(p1.alerts.map(\.alertID) == p2.alerts.map(\.alertID))
    }

    @Test func differentPrecisionFromHAPeersIsTheSameAlert() {
        var h = PlannerHarness()
        _ = h.deliver(webhook([alert("a", startsAt: "2026-11-27T21:00:00.123456789Z")]))
        let p = h.deliver(webhook([alert("a", startsAt: "2026-11-27T21:00:00.123Z")]))
        #expect(p.duplicates == 1)
        #expect(p.events.isEmpty)
    }

    @Test func allAlertsResolvedResolvesTheIncident() {
        var h = PlannerHarness()
        let open = h.deliver(webhook([alert("a"), alert("b")]))
        let partial = h.deliver(webhook([alert("a", "resolved", endsAt: "2026-11-27T21:05:00Z"), alert("b")]))
        #expect(partial.events.map(\.type) == ["AlertResolved"])
        #expect(h.state.open.count == 1)
        let done = h.deliver(webhook([alert("a", "resolved", endsAt: "2026-11-27T21:05:00Z"),
                                      alert("b", "resolved", endsAt: "2026-11-27T21:06:00Z")]))
        #expect(done.events.map(\.type) == ["AlertResolved", "IncidentResolved"])
        #expect(done.events.allSatisfy { $0.incidentID == open.events[0].incidentID })
        #expect(h.state.open.isEmpty)
        // The resolving delivery again changes nothing.
        #expect(h.deliver(webhook([alert("a", "resolved", endsAt: "2026-11-27T21:05:00Z"),
                                   alert("b", "resolved", endsAt: "2026-11-27T21:06:00Z")])).events.isEmpty)
    }

    @Test func theGroupFiringAgainLaterOpensANewIncident() {
        var h = PlannerHarness()
        let first = h.deliver(webhook([alert("a")]))
        _ = h.deliver(webhook([alert("a", "resolved", endsAt: "2026-11-27T21:05:00Z")]))
        let again = h.deliver(webhook([alert("a", startsAt: "2026-11-27T22:00:00Z")]))
        #expect(again.events.map(\.type) == ["IncidentOpened", "AlertAttached"])
        #expect(again.incidentID != first.incidentID)
    }

    @Test func differentGroupsAreDifferentIncidents() {
        var h = PlannerHarness()
        let a = h.deliver(webhook([alert("a")], group: "g1"))
        let b = h.deliver(webhook([alert("a")], group: "g2"))
        #expect(a.incidentID != b.incidentID)
        #expect(b.events.map(\.type) == ["IncidentOpened", "AlertAttached"])
    }

    @Test func resolvedAlertOfAnUnknownIncidentIsRecordedButOpensNothing() {
        var h = PlannerHarness()
        let p = h.deliver(webhook([alert("z", "resolved", endsAt: "2026-11-27T21:05:00Z")]))
        #expect(p.events.isEmpty)
        #expect(p.alerts.count == 1)
        #expect(h.state.open.isEmpty)
    }

    @Test func stateRebuiltFromTheLogAnswersLikeTheOriginal() {
        var h = PlannerHarness()
        var log: [IncidentEvent] = []
        log += h.deliver(webhook([alert("a"), alert("b")])).events
        log += h.deliver(webhook([alert("a", "resolved", endsAt: "2026-11-27T21:05:00Z"), alert("b")])).events
        var rebuilt = IngestState()
        var groups: [String: String] = [:]
        for e in log { rebuilt.apply(e, groupOf: &groups) }
        var h2 = PlannerHarness(state: rebuilt)
        let w = webhook([alert("a", "resolved", endsAt: "2026-11-27T21:05:00Z"), alert("b")])
        #expect(h2.deliver(w).events.isEmpty)
        #expect(h.deliver(w).events.isEmpty)
        let closing = webhook([alert("a", "resolved", endsAt: "2026-11-27T21:05:00Z"),
                               alert("b", "resolved", endsAt: "2026-11-27T21:07:00Z")])
        #expect(h2.deliver(closing).events.map(\.eventID) == h.deliver(closing).events.map(\.eventID))
    }

    @Test func recentSetForgetsTheOldestBeyondCapacity() {
        var r = RecentSet(capacity: 3)
        #expect(["a", "b", "c", "d"].map { r.insert($0) } == [nil, nil, nil, "a"], "it says what it forgot")
        #expect(r.insert("d") == nil, "a member keeps its place")
        #expect(!r.contains("a"))
        #expect(r.contains("d"))
        #expect(r.count == 3)
    }
}

@Suite("Webhook and IncidentReport validation")
struct InputValidationTests {
    @Test(arguments: [
        (#"{"groupKey":"g","status":"firing","alerts":[]}"#, "version"),
        (#"{"version":"3","groupKey":"g","status":"firing","alerts":[]}"#, "version"),
        (#"{"version":"4","groupKey":"","status":"firing","alerts":[]}"#, "groupKey"),
        (#"{"version":"4","groupKey":"g","status":"burning","alerts":[]}"#, "status"),
        (#"{"version":"4","groupKey":"g","status":"firing"}"#, "alerts"),
        (#"{"version":"4","groupKey":"g","status":"firing","alerts":[{"status":"firing","startsAt":"soon"}]}"#, "alerts[0].startsAt"),
        (#"{"version":"4","groupKey":"g","status":"firing","alerts":[{"status":"firing","startsAt":"2026-11-27T21:00:00Z","labels":{"a":1}}]}"#, "alerts[0].labels.a"),
        (#"{"version":"4","groupKey":"g","status":"firing","alerts":[{"startsAt":"2026-11-27T21:00:00Z"}]}"#, "alerts[0].status"),
        (#"not json"#, "$"),
    ])
    func badWebhooksNameTheField(_ body: String, _ field: String) {
        #expect(throws: InputError.self) { try AlertmanagerWebhook.decode(Data(body.utf8)) }
        do { _ = try AlertmanagerWebhook.decode(Data(body.utf8)) } catch { #expect(error.field == field) }
    }

    @Test func missingFingerprintIsDerivedFromLabels() throws {
        let body = #"{"version":"4","groupKey":"g","status":"firing","alerts":[{"status":"firing","startsAt":"2026-11-27T21:00:00Z","labels":{"alertname":"X","b":"2"}},{"status":"firing","startsAt":"2026-11-27T21:00:00Z","labels":{"b":"2","alertname":"X"}}]}"#
        let w = try AlertmanagerWebhook.decode(Data(body.utf8))
        #expect(w.alerts[0].fingerprint.count == 16)
        #expect(w.alerts[0].fingerprint == w.alerts[1].fingerprint)
    }

    static let report = """
        apiVersion: aiops.dev/v1alpha1
        kind: IncidentReport
        metadata:
          name: checkout-slow
          namespace: payments
        spec:
          summary: Checkout is slow for EU customers
          severity: critical
          service: payments-api
          labels:
            region: eu-west-1
        """

    @Test func incidentReportOpensAnIncidentOnce() throws {
        let r = try IncidentReport.parse(Self.report)
        let p = r.plan(open: nil, receivedAt: Date(), trace: .newRoot())
        #expect(p.events.map(\.type) == ["IncidentOpened"])
        #expect(TestSchemas.violations(ofIncidentEvent: p.events[0]) == [])
        if case .incidentOpened(let o) = p.events[0].payload {
            #expect(o.source == .incidentreport)
            #expect(o.labels["region"] == "eu-west-1")
            #expect(o.service == "payments-api")
        }
        let again = r.plan(open: p.newGroupState, receivedAt: Date(), trace: .newRoot())
        #expect(again.events.isEmpty)
        #expect(again.incidentID == p.incidentID)
        var resolved = r
        resolved.spec.resolved = true
        let done = resolved.plan(open: p.newGroupState, receivedAt: Date(), trace: .newRoot())
        #expect(done.events.map(\.type) == ["IncidentResolved"])
        #expect(done.newGroupState == nil)
    }

    @Test(arguments: [
        ("apiVersion: v1", "apiVersion"),
        ("kind: Pod", "kind"),
        ("  name: Bad_Name", "metadata.name"),
        ("  severity: apocalyptic", "spec.severity"),
        ("  summary: \"\"", "spec.summary"),
    ])
    func badReportsNameTheField(_ replacement: String, _ field: String) {
        let key = replacement.trimmingCharacters(in: .whitespaces).split(separator: ":")[0]
        let text = Self.report.split(separator: "\n").map { line in
            line.trimmingCharacters(in: .whitespaces).hasPrefix("\(key):") ? Substring(replacement) : line
        }.joined(separator: "\n")
        do {
            _ = try IncidentReport.parse(text)
            Issue.record("accepted: \(text)")
        } catch { #expect(error.field == field) }
    }

    @Test func brokenYAMLIsReportedWithItsLine() {
        do {
            _ = try IncidentReport.parse("apiVersion: aiops.dev/v1alpha1\nkind: [unclosed\n")
            Issue.record("accepted broken YAML")
        } catch {
            #expect(error.problem.contains("line 2"), "\(error)")
        }
    }
}
