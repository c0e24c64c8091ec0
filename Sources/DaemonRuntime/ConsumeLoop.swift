import Foundation
import IncidentLog
import Kafka
import Logging
import Metrics
import ServiceLifecycle
import Tracing

/// The consume → handle → produce loop every consuming daemon runs. A record
/// that keeps failing goes to `aiops.deadletter.v1` with the error and its
/// source topic/partition/offset, and the partition moves on. Producing
/// (output or dead letter) is retried until it succeeds or the service stops:
/// a broker outage loses nothing, the offset simply is not stored.
public struct ConsumeLoop<Handler: MessageHandler>: Service {
    let consumer: KafkaConsumer
    let producer: KafkaProducer
    let handler: Handler
    let topics: TopicSet
    let authenticator: RecordAuthenticator
    let group: String
    let retry: RetryPolicy
    let logger: Logger
    let processed: Counter
    let failedAttempts: Counter
    let deadLettered: Counter
    let duration: Timer
    /// Tests set this to simulate a crash after the output is acknowledged and
    /// before the offset is stored (the window redelivery must cover).
    var beforeStoringOffset: (@Sendable (KafkaConsumerMessage) async throws -> Void)?
    /// Records of different lanes handled side by side (the reasoner: one lane per incident); nil: one at a time.
    public var lanes: Lanes?

    /// `authenticator` decides which records are facts: anything it rejects is dead-lettered with the reason
    /// and never reaches the handler.
    public init(consumer: KafkaConsumer, producer: KafkaProducer, handler: Handler, authenticator: RecordAuthenticator,
                group: String, retry: RetryPolicy = RetryPolicy(), logger: Logger) {
        self.consumer = consumer
        self.authenticator = authenticator
        topics = authenticator.topics
        self.producer = producer
        self.handler = handler
        self.group = group
        self.retry = retry
        self.logger = logger
        processed = Counter(label: "aiops_consumer_messages_total", dimensions: [("group", group)])
        failedAttempts = Counter(label: "aiops_consumer_handler_failures_total", dimensions: [("group", group)])
        deadLettered = Counter(label: "aiops_consumer_dead_letters_total", dimensions: [("group", group)])
        duration = Timer(label: "aiops_consumer_handle_seconds", dimensions: [("group", group)],
                         preferredDisplayUnit: .seconds)
    }

    public func run() async throws {
        do {
            if let batching = handler as? any BatchMessageHandler {
                try await runBatches(batching)
            } else if let lanes, lanes.limit > 1 {
                try await runLanes(lanes)
            } else {
                for try await message in consumer.messages.cancelOnGracefulShutdown() {
                    try await process(message)
                }
            }
        } catch is CancellationError {
            // Stopping: the current record's offset was not stored, it will be redelivered.
        } catch {
            // Any other exit closes the consumer too (its partitions go to the group's other members at once);
            // a simulated crash does not, as a real one would not.
            if !(error is ConsumeLoopCrash) { await consumer.close() }
            throw error
        }
        await consumer.close()
    }

    private func runBatches(_ batching: any BatchMessageHandler) async throws {
        while !Task.isCancelled {
            let batch = try await cancelWhenGracefulShutdown { try await consumer.nextBatch(maxMessages: batching.maxBatchSize) }
            guard !batch.isEmpty else { return }
            // A rejected record anywhere in the batch: one by one, so offsets stay in order around its dead letter.
            if batch.count == 1 || batch.contains(where: { !authenticator.accepts($0) }) {
                for m in batch { try await process(m) }
                continue
            }
            let start = ContinuousClock.now
            var outage = 0
            while true {
                do {
                    // One consumer span for the batch, linked to the span that wrote each record; the handler
                    // opens a span per record it acts on, in that record's trace.
                    let output = try await Spans.run("process \(batch[0].topic)", kind: .consumer, parent: nil) { a in
                        processAttributes(&a, topic: batch[0].topic)
                        a["messaging.batch.message_count"] = batch.count
                    } _: { span in
                        for m in batch { Spans.link(span, to: m.header("traceparent")?.stringValue.flatMap { TraceContext(header: $0) }) }
                        return try await batching.handle(batch: batch)
                    }
                    try await sendUntilAcknowledged(output, meta: ["batch": "\(batch.count)"])
                    for m in batch { try await beforeStoringOffset?(m); storeOffset(m) }
                    processed.increment(by: batch.count)
                    duration.recordDuration(since: start)
                    break
                } catch let error as TransientHandlerError {
                    outage += 1
                    failedAttempts.increment()
                    if outage == 1 || outage % 10 == 0 {
                        logger.warning("dependency unavailable, retrying batch", metadata: ["error": "\(error)"])
                    }
                    try await pauseUnlessStopping(retry.backoff(afterAttempt: outage))
                } catch is CancellationError {
                    throw CancellationError()
                } catch {
                    if error is ConsumeLoopCrash { throw error }
                    // Isolate the failing record: one by one, with retries and dead letters.
                    logger.warning("batch failed, handling its records one by one", metadata: ["error": "\(error)"])
                    for m in batch { try await process(m) }
                    break
                }
            }
        }
    }

    /// Lanes: the next record is read while others are handled; a lane's records wait for each other.
    private func runLanes(_ lanes: Lanes) async throws {
        let (consumer, logger) = (consumer, logger)
        let scheduler = LaneScheduler(limit: lanes.limit) { topic, partition, next in
            do {
                if try !consumer.storeOffset(topic: topic, partition: partition, next: next) {
                    logger.info("partition revoked while its records were in flight; its new owner redelivers them")
                }
            } catch {
                logger.warning("could not store an offset; the records will be redelivered", metadata: ["error": "\(error)"])
            }
        }
        do {
            for try await message in consumer.messages.cancelOnGracefulShutdown() {
                if let failure = await scheduler.failure { throw failure }
                await scheduler.submit(message, lane: lanes.key(message)) {
                    try await process(message, storingOffset: false)
                }
            }
        } catch {
            await scheduler.drain()
            throw error
        }
        // Graceful stop: what is in flight finishes and stores its offsets before the consumer closes.
        await scheduler.drain()
        if let failure = await scheduler.failure { throw failure }
    }

    /// Handles one record to completion: output acknowledged (or dead letter
    /// acknowledged), then the offset stored (unless the caller stores it: lanes).
    func process(_ message: KafkaConsumerMessage, storingOffset: Bool = true) async throws {
        let start = ContinuousClock.now
        var meta0: Logger.Metadata = ["kafka.topic": "\(message.topic)", "kafka.partition": "\(message.partition)",
                                      "kafka.offset": "\(message.offset)"]
        let event: IncidentEvent?
        do { event = try authenticator.check(message) } catch {
            // Not a fact of the log: never handled, never retried.
            meta0["reason"] = "\(error)"
            logger.warning("rejecting record", metadata: meta0)
            Counter(label: "aiops_consumer_rejected_total", dimensions: [("group", group), ("reason", error.reason.raw)]).increment()
            let letter = DeadLetter(source: message, consumerGroup: group, error: error.description, attempts: 0, failedAt: Date())
            try await sendUntilAcknowledged([try letter.message(topics: topics)], meta: meta0)
            if storingOffset { storeOffset(message) }
            deadLettered.increment()
            return
        }
        // A consumer span per record, the child of the span that wrote it (messaging conventions).
        try await Spans.run("process \(message.topic)", kind: .consumer, parent: event?.trace) { attributes in
            processAttributes(&attributes, topic: message.topic)
            attributes["messaging.destination.partition.id"] = "\(message.partition)"
            attributes["messaging.kafka.offset"] = Int(message.offset)
            if let event {
                attributes["messaging.message.id"] = event.eventID
                attributes["aiops.incident.id"] = event.incidentID
                attributes["aiops.event.type"] = event.type
            }
        } _: { span in
            try await handle(message, start: start, storingOffset: storingOffset, span: span)
        }
    }

    /// What every consumer span of this loop says (OTel messaging conventions).
    private func processAttributes(_ a: inout SpanAttributes, topic: String) {
        a["messaging.system"] = "kafka"
        a["messaging.operation.type"] = "process"
        a["messaging.operation.name"] = "process"
        a["messaging.destination.name"] = topic
        a["messaging.consumer.group.name"] = group
    }

    private func handle(_ message: KafkaConsumerMessage, start: ContinuousClock.Instant, storingOffset: Bool,
                        span: any Span) async throws {
        var attempt = 0
        var output: [KafkaOutgoingMessage]?
        var lastError: Error?
        var meta: Logger.Metadata = ["kafka.topic": "\(message.topic)", "kafka.partition": "\(message.partition)",
                                     "kafka.offset": "\(message.offset)"]
        var outage = 0
        while output == nil && attempt < retry.maxAttempts {
            attempt += 1
            do {
                output = try await handler.handle(message)
            } catch let error as TransientHandlerError {
                // Not the record's fault: wait it out without spending attempts.
                attempt -= 1
                outage += 1
                failedAttempts.increment()
                meta["error"] = "\(error)"
                if outage == 1 || outage % 10 == 0 { logger.warning("dependency unavailable, retrying", metadata: meta) }
                try await pauseUnlessStopping(retry.backoff(afterAttempt: outage))
            } catch let error as PermanentHandlerError {
                lastError = error
                failedAttempts.increment()
                break
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                lastError = error
                failedAttempts.increment()
                meta["error"] = "\(error)"
                meta["attempt"] = "\(attempt)"
                logger.warning("handler failed, retrying", metadata: meta)
                if attempt < retry.maxAttempts { try await pauseUnlessStopping(retry.backoff(afterAttempt: attempt)) }
            }
        }
        let toSend: [KafkaOutgoingMessage]
        if let output {
            toSend = output
        } else {
            let reason = lastError.map { "\($0)" } ?? "unknown error"
            meta["error"] = "\(reason)"
            logger.error("dead-lettering message", metadata: meta)
            let letter = DeadLetter(source: message, consumerGroup: group, error: reason, attempts: attempt,
                                    failedAt: Date())
            toSend = [try letter.message(topics: topics)] + handler.deadLettered(message, error: reason)
            deadLettered.increment()
            span.setStatus(SpanStatus(code: .error, message: "dead-lettered after \(attempt) attempt(s): \(reason)"))
        }
        try await sendUntilAcknowledged(toSend, meta: meta)
        try await beforeStoringOffset?(message)
        if storingOffset { storeOffset(message) }
        processed.increment()
        duration.recordDuration(since: start)
    }

    /// Stores the offset after `message`. A rebalance can revoke the partition while the record is in flight:
    /// then its new owner redelivers the record (the output is idempotent), and this loop goes on.
    private func storeOffset(_ message: KafkaConsumerMessage) {
        do {
            if try !consumer.storeOffset(message) {
                logger.info("partition revoked while its record was in flight; its new owner redelivers it", metadata: [
                    "kafka.topic": "\(message.topic)", "kafka.partition": "\(message.partition)", "kafka.offset": "\(message.offset)"])
            }
        } catch {
            // Not storing is safe (the record comes again); stopping the daemon over it is not.
            logger.warning("could not store an offset; the record will be redelivered", metadata: [
                "kafka.topic": "\(message.topic)", "kafka.partition": "\(message.partition)", "error": "\(error)"])
        }
    }

    private func sendUntilAcknowledged(_ messages: [KafkaOutgoingMessage], meta: Logger.Metadata) async throws {
        try await producer.sendUntilAcknowledged(messages, retry: retry, logger: logger, metadata: meta)
    }
}

extension KafkaProducer {
    /// Sends until the broker acknowledges (an outage is waited out with backoff); only cancellation stops it.
    public func sendUntilAcknowledged(_ messages: [KafkaOutgoingMessage], retry: RetryPolicy = RetryPolicy(), logger: Logger,
                                      metadata: Logger.Metadata = [:]) async throws {
        var attempt = 0
        while true {
            do {
                try await send(messages)
                return
            } catch {
                attempt += 1
                var m = metadata
                m["error"] = "\(error)"
                logger.warning("producing output failed; offset not stored, retrying", metadata: m)
                try await pauseUnlessStopping(retry.backoff(afterAttempt: attempt))
            }
        }
    }
}

/// Waits between retries; a graceful shutdown ends the wait at once (the record's offset is not stored, so it
/// is redelivered), instead of holding the shutdown for a whole backoff.
func pauseUnlessStopping(_ duration: Duration) async throws {
    try await cancelWhenGracefulShutdown { try await Task.sleep(for: duration) }
}

extension Timer {
    public func recordDuration(since start: ContinuousClock.Instant) {
        let d = ContinuousClock.now - start
        recordNanoseconds(d.components.seconds * 1_000_000_000 + d.components.attoseconds / 1_000_000_000)
    }
}
