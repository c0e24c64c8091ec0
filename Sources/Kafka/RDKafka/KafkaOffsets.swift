import CRdKafka
import Foundation
import Logging

/// Offsets as the broker sees them, for monitoring (like kafka_exporter):
/// each partition's log-end offset, and what a consumer group has committed.
/// It never joins a group and never commits. Blocking calls run on its own
/// serial queue.
public final class KafkaOffsets: @unchecked Sendable {
    // @unchecked: `clients` and every librdkafka call are only touched on `queue`.
    private let configuration: KafkaConfiguration
    private let logger: Logger
    private let queue = DispatchQueue(label: "rdkafka-offsets")
    private var clients: [String: RDKafkaClient] = [:]

    public init(configuration: KafkaConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// A consumer-kind handle with `group.id` = `group` (OffsetFetch answers for the handle's group), not subscribed.
    private func client(group: String) throws -> RDKafkaClient {
        if let c = clients[group] { return c }
        var props = configuration.baseProperties()
        props["group.id"] = group
        props["enable.auto.commit"] = "false"
        for (k, v) in configuration.properties { props[k] = v }
        let c = try RDKafkaClient(kind: .consumer, properties: props, logger: logger)
        clients[group] = c
        return c
    }

    private func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { c in queue.async { c.resume(with: Result { try body() }) } }
    }

    /// Low and high watermark (log-end offset) of every partition of `topic`.
    public func watermarks(topic: String, timeout: Duration = .seconds(5)) async throws -> [Int32: (low: Int64, high: Int64)] {
        try await run { [self] in
            let c = try client(group: "aiops-offsets-\(ProcessInfo.processInfo.processIdentifier)")
            let n = try c.partitionCount(topic: topic, timeoutMs: timeout.milliseconds)
            var out: [Int32: (low: Int64, high: Int64)] = [:]
            for p in 0..<Int32(n) { out[p] = try c.watermarks(topic: topic, partition: p, timeoutMs: timeout.milliseconds) }
            return out
        }
    }

    /// The offsets `group` committed on `partitions` of `topic` (nil: nothing committed there yet).
    public func committed(group: String, topic: String, partitions: [Int32], timeout: Duration = .seconds(5)) async throws
        -> [Int32: Int64?] {
        try await run { [self] in
            let c = try client(group: group)
            let list = rd_kafka_topic_partition_list_new(Int32(partitions.count))!
            defer { rd_kafka_topic_partition_list_destroy(list) }
            for p in partitions { rd_kafka_topic_partition_list_add(list, topic, p) }
            try check(rd_kafka_committed(c.handle, list, timeout.milliseconds), .metadata, "committed offsets of \(group)")
            var out: [Int32: Int64?] = [:]
            for i in 0..<Int(list.pointee.cnt) {
                let tp = list.pointee.elems[i]
                out[tp.partition] = tp.offset >= 0 ? tp.offset : nil
            }
            return out
        }
    }
}
