import Foundation
import DaemonRuntime
import IncidentLog
import Kafka
import Logging
import Metrics

/// Result of one ingest call, for the HTTP answer and the logs.
public struct IngestOutcome: Sendable, Codable, Hashable {
    public var accepted: Int
    public var duplicates: Int
    public var events: Int
    public var incidentID: String?
    /// Every incident the delivery touched, when the correlation setting split it.
    public var incidentIDs: [String]?

    enum CodingKeys: String, CodingKey {
        case accepted, duplicates, events
        case incidentID = "incident_id", incidentIDs = "incident_ids"
    }
}

/// Turns webhook deliveries and IncidentReports into records, produces them,
/// and commits the group's new state only once Kafka acknowledged all of them.
/// Deliveries of one group are handled one at a time (Alertmanager sends one
/// at a time per group; an HA pair sends the same thing twice); different
/// groups proceed concurrently.
public actor IngestCoordinator {
    private var state: IngestState
    private var busy: [String: [CheckedContinuation<Void, Never>]] = [:]
    private let producer: KafkaProducer
    private let topics: TopicSet
    private let logger: Logger
    private let correlation: Correlation
    private let alertsCounter = Counter(label: "aiops_ingest_alerts_total", dimensions: [("result", "accepted")])
    private let duplicatesCounter = Counter(label: "aiops_ingest_alerts_total", dimensions: [("result", "duplicate")])
    private let eventsCounter = Counter(label: "aiops_ingest_incident_events_total")
    private let openGauge = Gauge(label: "aiops_ingest_open_incidents")

    public init(producer: KafkaProducer, topics: TopicSet, state: IngestState = IngestState(),
                correlation: Correlation = Correlation(), logger: Logger) {
        self.correlation = correlation
        self.producer = producer
        self.topics = topics
        self.state = state
        self.logger = logger
    }

    /// Rebuilds the state from the incident log (every event this ingestor wrote).
    public static func rebuildState(authenticator: RecordAuthenticator, configuration: KafkaConfiguration,
                                    snapshot: SnapshotStore? = nil, logger: Logger) async throws -> IngestState {
        var state = IngestState()
        var groups: [String: String] = [:]
        var count = 0
        try await IncidentLogReader.forEachEvent(authenticator: authenticator, configuration: configuration, snapshot: snapshot,
                                                 logger: logger) { event in
            guard event.producer == IngestPlanner.producer else { return }
            state.apply(event, groupOf: &groups)
            count += 1
        }
        logger.info("rebuilt ingest state from the incident log", metadata: [
            "events": "\(count)", "open_incidents": "\(state.open.count)"])
        return state
    }

    public func ingest(_ webhook: AlertmanagerWebhook, trace: TraceContext, receivedAt: Date = Date()) async throws
        -> IngestOutcome {
        let parts = correlation.split(webhook)
        var outcomes: [IngestOutcome] = []
        // Part by part: a failure leaves the earlier parts committed, and the sender's retry plans the same ids for
        // all of them, so the committed ones count as duplicates.
        for part in parts {
            outcomes.append(try await withGroup(part.groupKey, trace: trace) {
                IngestPlanner.plan(part, open: self.state.open[part.groupKey], recent: self.state.recent,
                                   receivedAt: receivedAt, trace: trace)
            })
        }
        if parts.count == 1 && parts[0].groupKey == webhook.groupKey { return outcomes[0] }
        let ids = outcomes.compactMap(\.incidentID)
        return IngestOutcome(accepted: outcomes.reduce(0) { $0 + $1.accepted },
                             duplicates: outcomes.reduce(0) { $0 + $1.duplicates },
                             events: outcomes.reduce(0) { $0 + $1.events }, incidentID: ids.first,
                             incidentIDs: ids.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } })
    }

    public func ingest(_ report: IncidentReport, trace: TraceContext, receivedAt: Date = Date()) async throws
        -> IngestOutcome {
        try await withGroup(report.groupKey, trace: trace) {
            report.plan(open: self.state.open[report.groupKey], receivedAt: receivedAt, trace: trace)
        }
    }

    public var openIncidentCount: Int { state.open.count }

    private func withGroup(_ key: String, trace: TraceContext, plan makePlan: () -> IngestPlan) async throws -> IngestOutcome {
        await acquire(key)
        defer { release(key) }
        let open = state.open[key]
        var plan = makePlan()
        // A later webhook for an open incident: its events join the incident's trace (one trace per incident),
        // in a span there that links to this request's.
        if let open, let incidentTrace = open.trace, incidentTrace.traceID != trace.traceID,
           plan.events.contains(where: { $0.incidentID == open.id }) {
            return try await Spans.run("attach to incident", kind: .internal, parent: incidentTrace) { a in
                a["aiops.incident.id"] = open.id
            } _: { span in
                Spans.link(span, to: trace)
                let joined = Spans.traceContext(of: span)
                for i in plan.events.indices where plan.events[i].incidentID == open.id {
                    plan.events[i].trace = joined ?? incidentTrace.child()
                }
                return try await commit(plan, key: key)
            }
        }
        return try await commit(plan, key: key)
    }

    private func commit(_ plan: IngestPlan, key: String) async throws -> IngestOutcome {
        // Encoding runs off the actor, so other groups are planned meanwhile.
        let messages = try await Self.encode(plan, topics: topics)
        // Suspends; other groups go on meanwhile. On failure nothing is committed,
        // so the sender's retry plans the same records again.
        try await producer.send(messages)
        state.open[key] = plan.newGroupState
        for id in plan.seenAlertIDs { state.recent.insert(id) }
        alertsCounter.increment(by: plan.alerts.count)
        duplicatesCounter.increment(by: plan.duplicates)
        eventsCounter.increment(by: plan.events.count)
        openGauge.record(state.open.count)
        return IngestOutcome(accepted: plan.alerts.count, duplicates: plan.duplicates, events: plan.events.count,
                             incidentID: plan.incidentID)
    }

    private static func encode(_ plan: IngestPlan, topics: TopicSet) async throws -> [KafkaOutgoingMessage] {
        var messages: [KafkaOutgoingMessage] = []
        messages.reserveCapacity(plan.alerts.count + plan.events.count)
        let trace = plan.events.first?.trace ?? TraceContext.newRoot()
        for a in plan.alerts { messages.append(try a.message(topics: topics, trace: trace)) }
        for e in plan.events { messages.append(try IncidentEventCodec.encode(e, topics: topics)) }
        return messages
    }

    private func acquire(_ key: String) async {
        if busy[key] == nil {
            busy[key] = []
            return
        }
        await withCheckedContinuation { busy[key]!.append($0) }
    }

    private func release(_ key: String) {
        guard var waiting = busy[key] else { return }
        if waiting.isEmpty {
            busy[key] = nil
        } else {
            let next = waiting.removeFirst()
            busy[key] = waiting
            next.resume()
        }
    }
}
