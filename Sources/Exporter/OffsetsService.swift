import DaemonRuntime
import Foundation
import IncidentLog
import Kafka
import Logging
import Metrics
import ServiceLifecycle

/// Samples the topics as the broker sees them: log-start and log-end offsets
/// per partition, each followed group's committed offsets, lag and status
/// (judged over the last `window` samples), and the dead letters by source
/// topic, group and reason.
struct OffsetsService: Service, CustomStringConvertible {
    var description: String { "OffsetsService" }
    let configuration: ExporterConfiguration
    let logger: Logger

    func run() async throws {
        let topics = configuration.topics
        let offsets = KafkaOffsets(configuration: configuration.kafka, logger: logger)
        let letters = try KafkaTopicReader(topic: topics.deadLetter, configuration: configuration.kafka, logger: logger)
        var samples: [String: [ConsumerGroupStatus.Sample]] = [:]
        var deadLetters: [[String]: Int] = [:]
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            var ends: [String: [Int32: Int64]] = [:]
            for t in topics.descriptors {
                guard let w = try? await offsets.watermarks(topic: t.name) else { continue }
                for (p, m) in w {
                    let dims = [("topic", t.name), ("partition", "\(p)")]
                    Gauge(label: "aiops_topic_log_end_offset", dimensions: dims).record(m.high)
                    Gauge(label: "aiops_topic_log_start_offset", dimensions: dims).record(m.low)
                }
                ends[t.name] = w.mapValues(\.high)
            }
            for g in configuration.groups {
                let topic = configuration.topic(of: g)
                guard let end = ends[topic],
                      let committed = try? await offsets.committed(group: g, topic: topic, partitions: Array(end.keys)),
                      committed.values.contains(where: { $0 != nil }) else {
                    // A group that never committed is not running here (e.g. aiops-approver-notify without
                    // Slack): judged only once it exists, as Burrow does.
                    continue
                }
                var lag: Int64 = 0
                var statuses: [ConsumerGroupStatus] = []
                for (p, high) in end {
                    // A partition the group never committed on is judged from offset 0.
                    let c = (committed[p] ?? nil) ?? 0
                    Gauge(label: "aiops_consumer_group_committed_offset", dimensions: [("group", g), ("topic", topic), ("partition", "\(p)")])
                        .record(c)
                    lag += max(0, high - c)
                    let key = "\(g)|\(topic)|\(p)"
                    samples[key, default: []].append(.init(committed: c, logEnd: high))
                    if samples[key]!.count > configuration.window { samples[key]!.removeFirst() }
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
                deadLetters[[l.sourceTopic, l.consumerGroup, Self.reason(l)], default: 0] += 1
            }
            for (k, n) in deadLetters {
                Gauge(label: "aiops_deadletter_records", dimensions: [("source_topic", k[0]), ("group", k[1]), ("reason", k[2])]).record(n)
            }
            do { try await cancelWhenGracefulShutdown { try await Task.sleep(for: configuration.interval) } } catch is CancellationError { return }
        }
    }

    /// A record refused before its handler ran is labelled by the refusal (`unsigned`, `invalid_event`, …);
    /// one its handler failed on, `handler`.
    static func reason(_ l: DeadLetter) -> String {
        l.attempts == 0 ? String(l.error.prefix { $0 != ":" }) : "handler"
    }
}
