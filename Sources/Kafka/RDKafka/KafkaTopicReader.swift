import CRdKafka
import Foundation
import Logging
import Synchronization

/// Reads every partition of a topic from the beginning, outside any consumer
/// group (nothing is committed). `readToEnd()` stops at the end of the log as
/// it was when called; `next(timeout:)` keeps following new records. Used to
/// rebuild state from the log, by `aiops replay`, and by tests waiting for an event.
public final class KafkaTopicReader: @unchecked Sendable {
    // @unchecked: every use of `client` goes through the serial `queue`;
    // `partitions` is set once in init.
    private let client: RDKafkaClient
    private let queue = DispatchQueue(label: "rdkafka-topic-reader")
    public let topic: String
    public let partitions: Int

    public init(topic: String, configuration: KafkaConfiguration, logger: Logger,
                metadataTimeout: Duration = .seconds(10)) throws {
        self.topic = topic
        var props = configuration.baseProperties()
        props["group.id"] = "aiops-reader-\(UUID().uuidString)"
        props["enable.auto.commit"] = "false"
        props["enable.partition.eof"] = "false"
        // A follower (replay --follow, the benches) sees a record soon after it is written, not at the 500 ms default.
        props["fetch.wait.max.ms"] = "20"
        for (k, v) in configuration.properties { props[k] = v }
        client = try RDKafkaClient(kind: .consumer, properties: props, logger: logger)
        rd_kafka_poll_set_consumer(client.handle)
        partitions = try client.partitionCount(topic: topic,
                                               timeoutMs: metadataTimeout.milliseconds)
        let list = rd_kafka_topic_partition_list_new(Int32(partitions))!
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for p in 0..<partitions {
            rd_kafka_topic_partition_list_add(list, topic, Int32(p)).pointee.offset = AIOPS_RD_KAFKA_OFFSET_BEGINNING
        }
        try check(rd_kafka_assign(client.handle, list), .subscription, "assign \(topic)")
    }

    /// All records currently in the topic, in partition-then-offset order per partition.
    public func readToEnd(timeout: Duration = .seconds(30)) async throws -> [KafkaConsumerMessage] {
        let client = self.client
        let topic = self.topic
        let partitions = self.partitions
        let deadline = ContinuousClock.now + timeout
        return try await onQueue {
            var ends: [Int32: Int64] = [:]
            for p in 0..<Int32(partitions) {
                let (low, high) = try client.watermarks(topic: topic, partition: p, timeoutMs: 10_000)
                if high > low { ends[p] = high }
            }
            var out: [KafkaConsumerMessage] = []
            while !ends.isEmpty {
                guard ContinuousClock.now < deadline else {
                    throw KafkaError(.timedOut, "reading \(topic) to its end")
                }
                guard let m = rd_kafka_consumer_poll(client.handle, 100) else { continue }
                defer { rd_kafka_message_destroy(m) }
                guard m.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR else { continue }
                let msg = makeConsumerMessage(m)
                out.append(msg)
                if let end = ends[msg.partition], msg.offset + 1 >= end { ends[msg.partition] = nil }
            }
            return out
        }
    }

    /// The next record, or nil if none arrived within `timeout`.
    public func next(timeout: Duration) async throws -> KafkaConsumerMessage? {
        let client = self.client
        let deadline = ContinuousClock.now + timeout
        return try await onQueue {
            while ContinuousClock.now < deadline {
                guard let m = rd_kafka_consumer_poll(client.handle, 50) else { continue }
                defer { rd_kafka_message_destroy(m) }
                guard m.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR else { continue }
                return makeConsumerMessage(m)
            }
            return nil
        }
    }

    private func onQueue<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { c in
            queue.async { c.resume(with: Result { try body() }) }
        }
    }

    deinit {
        client.skipConsumerClose.value = true
    }
}
