import CRdKafka
import Foundation
import Logging
import Synchronization

/// Tracks one `send` call: resumes its continuation when every record in it
/// has a delivery report.
private final class DeliveryBatch: Sendable {
    private struct State {
        var remaining: Int
        var reports: [KafkaDeliveryReport?]
        var firstError: KafkaError?
        var continuation: CheckedContinuation<[KafkaDeliveryReport], Error>?
    }
    private let state: Mutex<State>

    init(count: Int, continuation: CheckedContinuation<[KafkaDeliveryReport], Error>) {
        state = Mutex(State(remaining: count, reports: Array(repeating: nil, count: count), firstError: nil,
                            continuation: continuation))
    }

    /// Returns true when this was the last outstanding record.
    func complete(index: Int, result: Result<KafkaDeliveryReport, KafkaError>) -> Bool {
        let finished: (CheckedContinuation<[KafkaDeliveryReport], Error>, Result<[KafkaDeliveryReport], Error>)? =
            state.withLock { s in
                switch result {
                case .success(let r): s.reports[index] = r
                case .failure(let e): if s.firstError == nil { s.firstError = e }
                }
                s.remaining -= 1
                guard s.remaining == 0, let c = s.continuation else { return nil }
                s.continuation = nil
                if let e = s.firstError { return (c, .failure(e)) }
                return (c, .success(s.reports.map { $0! }))
            }
        if let (c, r) = finished { c.resume(with: r); return true }
        return false
    }

    /// Records that were never enqueued count as failed.
    func abandon(from index: Int, total: Int, error: KafkaError) -> Bool {
        var last = false
        for i in index..<total { last = complete(index: i, result: .failure(error)) || last }
        return last
    }
}

/// Per-record opaque: which batch, which slot.
private final class DeliverySlot {
    let batch: DeliveryBatch
    let index: Int
    init(batch: DeliveryBatch, index: Int) { self.batch = batch; self.index = index }
}

private func rdDeliveryCallback(_ rk: OpaquePointer?, _ message: UnsafePointer<rd_kafka_message_t>?,
                                _ opaque: UnsafeMutableRawPointer?) {
    guard let message, let slotPtr = message.pointee._private else { return }
    let slot = Unmanaged<DeliverySlot>.fromOpaque(slotPtr).takeRetainedValue()
    let m = message.pointee
    let topic = m.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? ""
    if m.err == RD_KAFKA_RESP_ERR_NO_ERROR {
        RDKafkaContext.from(rk)?.allBrokersDown.value = false
        _ = slot.batch.complete(index: slot.index, result: .success(
            KafkaDeliveryReport(topic: topic, partition: m.partition, offset: m.offset)))
    } else {
        let text = String(cString: rd_kafka_err2str(m.err))
        _ = slot.batch.complete(index: slot.index, result: .failure(
            KafkaError(.delivery, "\(topic): \(text)", rdKafkaCode: m.err.rawValue)))
    }
}

/// An idempotent producer (`enable.idempotence=true`, `acks=all`). `send`
/// returns only once the broker acknowledged every record, so callers can
/// store their input offset or answer their HTTP client right after.
public final class KafkaProducer: Sendable {
    private let client: RDKafkaClient
    private let running = Flag(true)
    private let pollStopped = DispatchSemaphore(value: 0)
    private let signer: (any KafkaRecordSigner)?
    public let logger: Logger

    /// `signer` authenticates every batch before it is enqueued (all daemons sign what they write).
    public init(configuration: KafkaProducerConfiguration, signer: (any KafkaRecordSigner)? = nil, logger: Logger) throws {
        self.logger = logger
        self.signer = signer
        client = try RDKafkaClient(kind: .producer, properties: configuration.properties(), logger: logger,
                                   deliveryCallback: rdDeliveryCallback)
        // Delivery reports and logs are served on this thread, never on the
        // cooperative pool.
        let client = self.client
        let running = self.running
        let stopped = pollStopped
        let thread = Thread {
            while running.value { rd_kafka_poll(client.handle, 10) }
            stopped.signal()
        }
        thread.name = "rdkafka-producer-poll"
        thread.start()
    }

    /// Hook for librdkafka statistics (needs `statisticsIntervalMs > 0`).
    public func onStatistics(_ handler: @escaping @Sendable (KafkaStatistics) -> Void) {
        client.context.onStatistics.withLock { $0 = handler }
    }

    /// True after librdkafka reported that no broker is reachable, until a
    /// record is delivered again.
    public var brokersDown: Bool { client.context.allBrokersDown.value }

    /// Sends one record and waits for its acknowledgement.
    @discardableResult
    public func send(_ message: KafkaOutgoingMessage) async throws -> KafkaDeliveryReport {
        try await send([message])[0]
    }

    /// Sends records and waits until all are acknowledged; throws the first
    /// delivery error. Records of one call keep their order per partition.
    @discardableResult
    public func send(_ messages: [KafkaOutgoingMessage]) async throws -> [KafkaDeliveryReport] {
        guard !messages.isEmpty else { return [] }
        guard running.value else { throw KafkaError(.closed, "producer is closed") }
        let messages = try signer?.sign(messages) ?? messages
        return try await withCheckedThrowingContinuation { continuation in
            let batch = DeliveryBatch(count: messages.count, continuation: continuation)
            // Enqueue right here so records of consecutive calls keep their order;
            // only a full local queue defers the rest to a task.
            let next = enqueue(messages, from: 0, batch: batch)
            if next < messages.count {
                Task { await self.enqueueWhenRoom(messages, from: next, batch: batch) }
            }
        }
    }

    /// Enqueues from `start`; returns where it stopped because the local queue was full.
    private func enqueue(_ messages: [KafkaOutgoingMessage], from start: Int, batch: DeliveryBatch) -> Int {
        var index = start
        while index < messages.count {
            let slot = Unmanaged.passRetained(DeliverySlot(batch: batch, index: index))
            if let err = produce(messages[index], opaque: slot.toOpaque()) {
                slot.release()
                if err.rdKafkaCode == RD_KAFKA_RESP_ERR__QUEUE_FULL.rawValue { return index }
                _ = batch.abandon(from: index, total: messages.count, error: err)
                return messages.count
            }
            index += 1
        }
        return index
    }

    private func enqueueWhenRoom(_ messages: [KafkaOutgoingMessage], from start: Int, batch: DeliveryBatch) async {
        var index = start
        while index < messages.count {
            try? await Task.sleep(for: .milliseconds(1))
            index = enqueue(messages, from: index, batch: batch)
        }
    }

    private func produce(_ message: KafkaOutgoingMessage, opaque: UnsafeMutableRawPointer) -> KafkaError? {
        let headers: OpaquePointer? = message.headers.isEmpty ? nil : rd_kafka_headers_new(message.headers.count)
        if let headers {
            for h in message.headers {
                h.value.withUnsafeBytes { v in
                    _ = rd_kafka_header_add(headers, h.key, -1, v.baseAddress, v.count)
                }
            }
        }
        let error: OpaquePointer? = message.topic.withCString { topic in
            message.value.withUnsafeBytes { value in
                (message.key ?? []).withUnsafeBytes { key in
                    var vus = [rd_kafka_vu_t](repeating: rd_kafka_vu_t(), count: 6)
                    vus[0].vtype = RD_KAFKA_VTYPE_TOPIC
                    vus[0].u.cstr = topic
                    vus[1].vtype = RD_KAFKA_VTYPE_VALUE
                    vus[1].u.mem.ptr = UnsafeMutableRawPointer(mutating: value.baseAddress)
                    vus[1].u.mem.size = value.count
                    vus[2].vtype = RD_KAFKA_VTYPE_MSGFLAGS
                    vus[2].u.i = 0x2 // RD_KAFKA_MSG_F_COPY
                    vus[3].vtype = RD_KAFKA_VTYPE_OPAQUE
                    vus[3].u.ptr = opaque
                    var count = 4
                    if message.key != nil {
                        vus[count].vtype = RD_KAFKA_VTYPE_KEY
                        vus[count].u.mem.ptr = UnsafeMutableRawPointer(mutating: key.baseAddress)
                        vus[count].u.mem.size = key.count
                        count += 1
                    }
                    if let headers {
                        vus[count].vtype = RD_KAFKA_VTYPE_HEADERS
                        vus[count].u.headers = headers
                        count += 1
                    }
                    return rd_kafka_produceva(client.handle, vus, count)
                }
            }
        }
        guard let error else { return nil }
        // On failure the headers stay ours.
        if let headers { rd_kafka_headers_destroy(headers) }
        return errorFromRDKafkaError(error, .produce)
    }

    /// Waits (on a non-cooperative thread) until queued records are delivered.
    public func flush(timeout: Duration = .seconds(10)) async {
        let ms = timeout.milliseconds
        let client = self.client
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                _ = rd_kafka_flush(client.handle, ms)
                c.resume()
            }
        }
    }

    /// Flushes, then stops the poll thread. Idempotent.
    public func close(timeout: Duration = .seconds(10)) async {
        guard running.value else { return }
        await flush(timeout: timeout)
        running.value = false
        let stopped = pollStopped
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async { stopped.wait(); c.resume() }
        }
    }

    /// Number of partitions of a topic, from broker metadata.
    public func partitionCount(topic: String, timeout: Duration = .seconds(5)) async throws -> Int {
        let client = self.client
        let ms = timeout.milliseconds
        return try await runBlocking { try client.partitionCount(topic: topic, timeoutMs: ms) }
    }

    deinit {
        running.value = false
    }
}

/// Runs a blocking librdkafka call off the cooperative thread pool.
func runBlocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { c in
        DispatchQueue.global().async { c.resume(with: Result { try body() }) }
    }
}
