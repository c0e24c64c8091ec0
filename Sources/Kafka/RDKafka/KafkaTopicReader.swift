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

    /// Where each partition starts: `from` (a snapshot's next offsets) where given, else the beginning.
    private let start: [Int32: Int64]

    /// A reader's group id begins with this (a group of its own that never commits; ACLs grant it by prefix).
    public static let groupPrefix = "aiops-reader-"

    public init(topic: String, configuration: KafkaConfiguration, logger: Logger,
                metadataTimeout: Duration = .seconds(10), from start: [Int32: Int64] = [:]) throws {
        self.start = start
        self.topic = topic
        var props = configuration.baseProperties()
        props["group.id"] = Self.groupPrefix + UUID().uuidString
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
            rd_kafka_topic_partition_list_add(list, topic, Int32(p)).pointee.offset = start[Int32(p)] ?? AIOPS_RD_KAFKA_OFFSET_BEGINNING
        }
        try check(rd_kafka_assign(client.handle, list), .subscription, "assign \(topic)")
    }

    /// All records currently in the topic, in partition-then-offset order per partition.
    public func readToEnd(timeout: Duration = .seconds(30)) async throws -> [KafkaConsumerMessage] {
        var out: [KafkaConsumerMessage] = []
        _ = try await readToEnd(batch: 10_000, stall: timeout) { out += $0 }
        return out
    }

    /// The partitions' (low, high) watermarks now.
    public func watermarks() async throws -> [Int32: (low: Int64, high: Int64)] {
        let client = self.client
        let topic = self.topic
        let partitions = self.partitions
        return try await onQueue {
            var out: [Int32: (low: Int64, high: Int64)] = [:]
            for p in 0..<Int32(partitions) { out[p] = try client.watermarks(topic: topic, partition: p, timeoutMs: 10_000) }
            return out
        }
    }

    /// Reads from where each partition starts to the end of the log as it is now, handing `body` up to `batch`
    /// records at a time (memory stays bounded however long the log); returns the next offset of every partition.
    /// Fails when no record arrives for `stall` while some are still due.
    public func readToEnd(batch: Int, stall: Duration = .seconds(30),
                          _ body: ([KafkaConsumerMessage]) async throws -> Void) async throws -> [Int32: Int64] {
        let client = self.client
        let topic = self.topic
        let partitions = self.partitions
        let start = self.start
        var (ends, next) = try await onQueue {
            var ends: [Int32: Int64] = [:]
            var next: [Int32: Int64] = [:]
            for p in 0..<Int32(partitions) {
                let (low, high) = try client.watermarks(topic: topic, partition: p, timeoutMs: 10_000)
                let from = max(low, start[p] ?? low)
                next[p] = from
                if high > from { ends[p] = high }
            }
            return (ends, next)
        }
        while !ends.isEmpty {
            let (chunk, e, n) = try await onQueue { [ends, next] in
                var ends = ends, next = next
                var out: [KafkaConsumerMessage] = []
                var deadline = ContinuousClock.now + stall
                while !ends.isEmpty, out.count < batch {
                    guard ContinuousClock.now < deadline else {
                        throw KafkaError(.timedOut, "reading \(topic) to its end: nothing for \(stall)")
                    }
                    guard let m = rd_kafka_consumer_poll(client.handle, 100) else { continue }
                    defer { rd_kafka_message_destroy(m) }
                    guard m.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR else { continue }
                    let msg = makeConsumerMessage(m)
                    deadline = ContinuousClock.now + stall
                    out.append(msg)
                    next[msg.partition] = msg.offset + 1
                    if let end = ends[msg.partition], msg.offset + 1 >= end { ends[msg.partition] = nil }
                }
                return (out, ends, next)
            }
            ends = e
            next = n
            try await body(chunk)
        }
        return next
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
