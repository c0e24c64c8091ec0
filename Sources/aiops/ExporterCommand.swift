import ArgumentParser
import DaemonRuntime
import Foundation
import IncidentLog
import Kafka
import Logging
import Metrics
import OperatorCLI
import ServiceLifecycle
import Synchronization

/// `aiops exporter`: the topics as the broker sees them and the incident log
/// as the domain sees it, at `/metrics` for Prometheus — log-end offsets,
/// consumer groups' committed offsets, lag and Burrow-style status, dead
/// letters by source, group and reason, and the figures folded from the log
/// (incidents by state, events by type, time to triage, approvals waiting,
/// decisions, action outcomes, planner usage). docs/observability.md lists them.
struct Exporter: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exporter", abstract: "Serve topic, consumer-group and incident-log metrics at /metrics for Prometheus.")
    @OptionGroup var kafka: KafkaOptions
    @Option(help: "Address of /metrics, /healthz, /readyz.") var host = "127.0.0.1"
    @Option(help: "Port (EXPORTER_PORT).") var port: Int?
    @Option(help: "Consumer groups to follow, comma-separated.")
    var groups = "aiops-embedder,aiops-retriever,aiops-reasoner,aiops-approver,aiops-approver-notify,aiops-executor"
    @Option(help: "Seconds between offset samples (the status looks at the last five).") var interval = 15.0

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        guard let authenticator = try kafka.authenticator() else {
            throw ValidationError("--trusted-keys-file or AIOPS_TRUSTED_KEYS_FILE: only authentic events are counted")
        }
        let registry = Observability.bootstrap(service: "aiops-exporter", level: .notice)
        let logger = Logger(label: "aiops-exporter")
        let topics = kafka.topics
        let port = self.port ?? Int(env["EXPORTER_PORT"] ?? "") ?? 9101
        let ready = ReadyFlag()
        let offsets = OffsetsService(kafka: kafka.configuration, topics: topics,
                                     groups: groups.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) },
                                     interval: .milliseconds(Int(interval * 1000)), logger: logger)
        let log = LogService(kafka: kafka.configuration, topics: topics, authenticator: authenticator, ready: ready, logger: logger)
        let ops = buildOperationalApplication(host: host, port: port, service: "aiops-exporter", registry: registry) {
            ready.value ? nil : "still reading the incident log"
        }
        logger.notice("aiops exporter on \(host):\(port)")
        try await DaemonMain.runServiceGroup([ops, log, offsets], logger: logger)
    }
}

/// Log-end offsets, committed offsets, lag and status of each followed group, and the dead letters.
struct OffsetsService: Service {
    let kafka: KafkaConfiguration
    let topics: TopicSet
    let groups: [String]
    let interval: Duration
    let logger: Logger

    func run() async throws {
        let offsets = KafkaOffsets(configuration: kafka, logger: logger)
        var samples: [String: [ConsumerGroupStatus.Sample]] = [:]
        let letters = try KafkaTopicReader(topic: topics.deadLetter, configuration: kafka, logger: logger)
        var deadLetters: [[String]: Int] = [:]
        while !Task.isCancelled {
            var ends: [String: [Int32: Int64]] = [:]
            for t in topics.descriptors {
                guard let w = try? await offsets.watermarks(topic: t.name) else { continue }
                for (p, m) in w {
                    Gauge(label: "aiops_topic_log_end_offset", dimensions: [("topic", t.name), ("partition", "\(p)")]).record(m.high)
                    Gauge(label: "aiops_topic_log_start_offset", dimensions: [("topic", t.name), ("partition", "\(p)")]).record(m.low)
                }
                ends[t.name] = w.mapValues(\.high)
            }
            // Every group reads the incident log except the embedder (the corpus topic).
            for g in groups {
                let topic = g == "aiops-embedder" ? topics.corpus : topics.incidents
                guard let end = ends[topic], let committed = try? await offsets.committed(group: g, topic: topic, partitions: Array(end.keys)) else {
                    continue
                }
                var lag: Int64 = 0
                var statuses: [ConsumerGroupStatus] = []
                for (p, high) in end {
                    let c = (committed[p] ?? nil) ?? 0
                    Gauge(label: "aiops_consumer_group_committed_offset", dimensions: [("group", g), ("topic", topic), ("partition", "\(p)")]).record(c)
                    lag += max(0, high - c)
                    let key = "\(g)|\(topic)|\(p)"
                    samples[key, default: []].append(.init(committed: c, logEnd: high))
                    if samples[key]!.count > 5 { samples[key]!.removeFirst() }
                    statuses.append(ConsumerGroupStatus.of(samples[key]!))
                }
                Gauge(label: "aiops_consumer_group_lag", dimensions: [("group", g), ("topic", topic)]).record(lag)
                let status = ConsumerGroupStatus.worst(statuses)
                for s in ConsumerGroupStatus.allCases {
                    Gauge(label: "aiops_consumer_group_status", dimensions: [("group", g), ("status", s.rawValue)]).record(s == status ? 1 : 0)
                }
            }
            while let m = try await letters.next(timeout: .milliseconds(10)) {
                guard let l = try? JSONDecoder().decode(DeadLetter.self, from: Data(m.value)) else { continue }
                let reason = l.attempts == 0 ? String(l.error.prefix { $0 != ":" }) : "handler"
                deadLetters[[l.sourceTopic, l.consumerGroup, reason], default: 0] += 1
            }
            for (k, n) in deadLetters {
                Gauge(label: "aiops_deadletter_records", dimensions: [("source_topic", k[0]), ("group", k[1]), ("reason", k[2])]).record(n)
            }
            try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}

/// Follows the incident log from its start and keeps the domain figures current.
struct LogService: Service {
    let kafka: KafkaConfiguration
    let topics: TopicSet
    let authenticator: RecordAuthenticator
    let ready: ReadyFlag
    let logger: Logger

    func run() async throws {
        let reader = try KafkaTopicReader(topic: topics.incidents, configuration: kafka, logger: logger)
        var fold = LogMetrics()
        let ttt = Timer(label: "aiops_time_to_triage_seconds", preferredDisplayUnit: .seconds)
        var counted: [String: Int] = [:]
        func publish() {
            for (state, n) in fold.incidents { Gauge(label: "aiops_incidents", dimensions: [("state", state)]).record(n) }
            for (type, n) in fold.eventsByType {
                Counter(label: "aiops_log_events_total", dimensions: [("type", type)]).increment(by: n - counted["e|" + type, default: 0])
                counted["e|" + type] = n
            }
            for (kind, n) in fold.decisions {
                Counter(label: "aiops_decisions_total", dimensions: [("kind", kind)]).increment(by: n - counted["d|" + kind, default: 0])
                counted["d|" + kind] = n
            }
            for (outcome, n) in fold.outcomes {
                Counter(label: "aiops_action_outcomes_total", dimensions: [("outcome", outcome)])
                    .increment(by: n - counted["o|" + outcome, default: 0])
                counted["o|" + outcome] = n
            }
            for (key, n) in fold.plannerTokens {
                let parts = key.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
                let dims = [("planner", parts[0]), ("model", parts.count > 1 ? parts[1] : "")]
                Counter(label: "aiops_planner_tokens_total", dimensions: dims).increment(by: n - counted["t|" + key, default: 0])
                counted["t|" + key] = n
                let calls = fold.plannerCalls[key] ?? 0
                Counter(label: "aiops_planner_calls_total", dimensions: dims).increment(by: calls - counted["c|" + key, default: 0])
                counted["c|" + key] = calls
            }
            Gauge(label: "aiops_approvals_waiting").record(fold.approvalsWaiting)
            Gauge(label: "aiops_approvals_oldest_waiting_seconds").record(fold.oldestWaitingSeconds())
        }
        for m in try await reader.readToEnd() {
            guard let e = try? authenticator.check(m) else { continue }
            if let t = fold.apply(e) { ttt.recordNanoseconds(Int64(t * 1e9)) }
        }
        publish()
        ready.value = true
        var last = ContinuousClock.now
        while !Task.isCancelled {
            if let m = try await cancelWhenGracefulShutdown({ try await reader.next(timeout: .milliseconds(500)) }),
               let e = try? authenticator.check(m), let t = fold.apply(e) {
                ttt.recordNanoseconds(Int64(t * 1e9))
            }
            if ContinuousClock.now - last > .seconds(1) {
                publish()
                last = ContinuousClock.now
            }
        }
    }
}

/// Set once the log was read to its end.
final class ReadyFlag: Sendable {
    private let storage = Atomic(false)
    var value: Bool {
        get { storage.load(ordering: .acquiring) }
        set { storage.store(newValue, ordering: .releasing) }
    }
}
