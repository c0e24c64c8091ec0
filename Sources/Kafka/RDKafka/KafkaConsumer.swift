import CRdKafka
import Foundation
import Logging
import Synchronization

/// A consumer-group member. Messages arrive through `messages`, an
/// `AsyncSequence` that polls librdkafka on its own serial queue only when the
/// caller asks for the next message (natural backpressure). Offsets are stored
/// only by `storeOffset(_:)`, after the caller's output is acknowledged, and
/// committed in the background and on `close()`.
public final class KafkaConsumer: Sendable {
    private let client: RDKafkaClient
    /// All blocking librdkafka calls of this consumer run here, serialized.
    private let queue: DispatchQueue
    private let closed = Flag(false)
    public let logger: Logger

    public init(configuration: KafkaConsumerConfiguration, logger: Logger) throws {
        self.logger = logger
        client = try RDKafkaClient(kind: .consumer, properties: configuration.properties(), logger: logger)
        queue = DispatchQueue(label: "rdkafka-consumer-\(configuration.groupID)")
        rd_kafka_poll_set_consumer(client.handle)
        let list = rd_kafka_topic_partition_list_new(Int32(configuration.topics.count))!
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for topic in configuration.topics { rd_kafka_topic_partition_list_add(list, topic, AIOPS_RD_KAFKA_PARTITION_UA) }
        try check(rd_kafka_subscribe(client.handle, list), .subscription,
                  "subscribe to \(configuration.topics.joined(separator: ","))")
    }

    public func onStatistics(_ handler: @escaping @Sendable (KafkaStatistics) -> Void) {
        client.context.onStatistics.withLock { $0 = handler }
    }

    public var messages: Messages { Messages(consumer: self) }

    /// Waits for the next message; nil once the consumer is closed or the task cancelled.
    func next() async throws -> KafkaConsumerMessage? {
        let cancelled = Flag(false)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<KafkaConsumerMessage?, Error>) in
                queue.async { [client, closed, logger] in
                    while !closed.value && !cancelled.value {
                        guard let m = rd_kafka_consumer_poll(client.handle, 100) else { continue }
                        defer { rd_kafka_message_destroy(m) }
                        let err = m.pointee.err
                        if err == RD_KAFKA_RESP_ERR_NO_ERROR {
                            c.resume(returning: makeConsumerMessage(m))
                            return
                        }
                        let text = String(cString: rd_kafka_err2str(err))
                        if err == RD_KAFKA_RESP_ERR__FATAL {
                            c.resume(throwing: KafkaError(.consume, text, rdKafkaCode: err.rawValue))
                            return
                        }
                        // Transient consumer errors (broker down, unknown topic yet):
                        // librdkafka recovers by itself.
                        logger.warning("consumer error", metadata: ["kafka.error": "\(text)"])
                    }
                    c.resume(returning: nil)
                }
            }
        } onCancel: {
            cancelled.value = true
        }
    }

    /// Waits for at least one message, then takes whatever else is already
    /// waiting, up to `maxMessages` (micro-batching for handlers that batch).
    /// Empty once the consumer is closed or the task cancelled.
    public func nextBatch(maxMessages: Int) async throws -> [KafkaConsumerMessage] {
        guard let first = try await next() else { return [] }
        var batch = [first]
        guard maxMessages > 1 else { return batch }
        let client = self.client
        let closed = self.closed
        let more = try await onQueue { () -> [KafkaConsumerMessage] in
            var out: [KafkaConsumerMessage] = []
            while out.count < maxMessages - 1 && !closed.value {
                guard let m = rd_kafka_consumer_poll(client.handle, 0) else { break }
                defer { rd_kafka_message_destroy(m) }
                if m.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR { out.append(makeConsumerMessage(m)) }
            }
            return out
        }
        batch += more
        return batch
    }

    /// Stores the offset after `message` for the next commit. False when the partition is not assigned to this
    /// consumer (any more): a rebalance revoked it while the record was in flight, and its new owner will
    /// deliver the record again. Throws for anything else.
    @discardableResult
    public func storeOffset(_ message: KafkaConsumerMessage) throws -> Bool {
        try storeOffset(topic: message.topic, partition: message.partition, next: message.offset + 1)
    }

    /// Stores `next` (the first offset not yet processed) for `topic`/`partition`; false when not assigned.
    @discardableResult
    public func storeOffset(topic: String, partition: Int32, next: Int64) throws -> Bool {
        let list = rd_kafka_topic_partition_list_new(1)!
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let tp = rd_kafka_topic_partition_list_add(list, topic, partition)!
        tp.pointee.offset = next
        let err = rd_kafka_offsets_store(client.handle, list)
        // __STATE: known but not assigned (revoked); __UNKNOWN_PARTITION: not in this member's assignment at all.
        if tp.pointee.err == RD_KAFKA_RESP_ERR__STATE || tp.pointee.err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION { return false }
        try check(err, .offsetStore, "store offset \(topic)[\(partition)]@\(next)")
        try check(tp.pointee.err, .offsetStore, "store offset \(topic)[\(partition)]@\(next)")
        return true
    }

    /// Commits stored offsets now (synchronously with the broker).
    public func commit() async throws {
        let client = self.client
        try await onQueue {
            let err = rd_kafka_commit(client.handle, nil, 0)
            // Nothing stored yet is not a failure.
            if err == RD_KAFKA_RESP_ERR__NO_OFFSET { return }
            try check(err, .offsetStore, "commit")
        }
    }

    /// Commits stored offsets and leaves the group. Idempotent.
    public func close() async {
        guard !closed.exchange(true) else { return }
        let client = self.client
        try? await onQueue {
            let err = rd_kafka_consumer_close(client.handle)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                client.context.logger.warning("consumer close", metadata: [
                    "kafka.error": "\(String(cString: rd_kafka_err2str(err)))"])
            }
        }
    }

    /// Stops without committing or leaving the group, as a crashed process
    /// would: its partitions stay with it until the session times out. Tests
    /// use it to check redelivery. The consumer is unusable afterwards.
    public func abandon() async {
        closed.value = true
        let client = self.client
        // On the consumer's queue, so no poll is running when the handle goes.
        try? await onQueue { client.destroyAsCrashed() }
    }

    private func onQueue<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { c in
            queue.async { c.resume(with: Result { try body() }) }
        }
    }

    public struct Messages: AsyncSequence, Sendable {
        public typealias Element = KafkaConsumerMessage
        let consumer: KafkaConsumer

        public struct AsyncIterator: AsyncIteratorProtocol {
            let consumer: KafkaConsumer
            public mutating func next() async throws -> KafkaConsumerMessage? { try await consumer.next() }
        }

        public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(consumer: consumer) }
    }
}
