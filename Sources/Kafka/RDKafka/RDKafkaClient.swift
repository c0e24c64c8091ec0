import CRdKafka
import Foundation
import Logging
import Synchronization

/// Everything librdkafka's callbacks need to reach Swift: the logger, the
/// statistics and error hooks, and delivery bookkeeping. Its address is the
/// handle's `opaque`; it outlives the handle.
final class RDKafkaContext: Sendable {
    let logger: Logger
    let onStatistics: Mutex<(@Sendable (KafkaStatistics) -> Void)?> = Mutex(nil)
    let onError: Mutex<(@Sendable (KafkaError) -> Void)?> = Mutex(nil)
    /// Set when librdkafka reports that no broker is reachable; cleared when a
    /// delivery or metadata request succeeds again.
    let allBrokersDown = Flag(false)

    init(logger: Logger) { self.logger = logger }

    static func from(_ rk: OpaquePointer?) -> RDKafkaContext? {
        guard let rk, let opaque = rd_kafka_opaque(rk) else { return nil }
        return Unmanaged<RDKafkaContext>.fromOpaque(opaque).takeUnretainedValue()
    }
}

private func rdLogCallback(_ rk: OpaquePointer?, _ level: Int32, _ fac: UnsafePointer<CChar>?,
                           _ buf: UnsafePointer<CChar>?) {
    guard let context = RDKafkaContext.from(rk) else { return }
    let facility = fac.map { String(cString: $0) } ?? ""
    let text = buf.map { String(cString: $0) } ?? ""
    // syslog levels: 0 emerg … 3 err, 4 warning, 5 notice, 6 info, 7 debug
    let swiftLevel: Logger.Level = switch level {
    case ...3: .error
    case 4: .warning
    case 5, 6: .info
    default: .debug
    }
    context.logger.log(level: swiftLevel, "\(text)", metadata: ["kafka.facility": "\(facility)"])
}

private func rdStatsCallback(_ rk: OpaquePointer?, _ json: UnsafeMutablePointer<CChar>?, _ len: Int,
                             _ opaque: UnsafeMutableRawPointer?) -> Int32 {
    guard let context = RDKafkaContext.from(rk), let json else { return 0 }
    let handler = context.onStatistics.withLock { $0 }
    guard let handler else { return 0 }
    let bytes = UnsafeRawBufferPointer(start: json, count: len)
    if let stats = KafkaStatistics(json: Data(bytes)) { handler(stats) }
    return 0 // librdkafka frees the JSON
}

private func rdErrorCallback(_ rk: OpaquePointer?, _ err: Int32, _ reason: UnsafePointer<CChar>?,
                             _ opaque: UnsafeMutableRawPointer?) {
    guard let context = RDKafkaContext.from(rk) else { return }
    let text = reason.map { String(cString: $0) } ?? ""
    if err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN.rawValue { context.allBrokersDown.value = true }
    context.logger.warning("librdkafka error", metadata: ["kafka.error": "\(text)", "kafka.code": "\(err)"])
    let handler = context.onError.withLock { $0 }
    handler?(KafkaError(.consume, text, rdKafkaCode: err))
}

/// Owns one `rd_kafka_t`. librdkafka handles are thread-safe, so sharing the
/// pointer across threads is fine.
final class RDKafkaClient: @unchecked Sendable {
    let handle: OpaquePointer
    let context: RDKafkaContext
    private let contextRef: Unmanaged<RDKafkaContext>

    enum Kind { case producer, consumer }

    init(kind: Kind, properties: [String: String], logger: Logger,
         deliveryCallback: (@convention(c) (OpaquePointer?, UnsafePointer<rd_kafka_message_t>?, UnsafeMutableRawPointer?) -> Void)? = nil) throws {
        let context = RDKafkaContext(logger: logger)
        let conf = rd_kafka_conf_new()!
        var errstr = [CChar](repeating: 0, count: 512)
        for (key, value) in properties.sorted(by: { $0.key < $1.key }) {
            let result = rd_kafka_conf_set(conf, key, value, &errstr, errstr.count)
            if result != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                throw KafkaError(.configuration, "\(key)=\(value): \(cString(errstr))")
            }
        }
        let ref = Unmanaged.passRetained(context)
        rd_kafka_conf_set_opaque(conf, ref.toOpaque())
        rd_kafka_conf_set_log_cb(conf, rdLogCallback)
        rd_kafka_conf_set_error_cb(conf, rdErrorCallback)
        if properties["statistics.interval.ms"] != nil { rd_kafka_conf_set_stats_cb(conf, rdStatsCallback) }
        if let deliveryCallback { rd_kafka_conf_set_dr_msg_cb(conf, deliveryCallback) }

        let type = kind == .producer ? RD_KAFKA_PRODUCER : RD_KAFKA_CONSUMER
        guard let rk = rd_kafka_new(type, conf, &errstr, errstr.count) else {
            // rd_kafka_new frees conf only on success.
            rd_kafka_conf_destroy(conf)
            ref.release()
            throw KafkaError(.clientCreation, cString(errstr))
        }
        self.handle = rk
        self.context = context
        self.contextRef = ref
    }

    /// Set to destroy a consumer the way a crash would: no final commit, no LeaveGroup.
    let skipConsumerClose = Flag(false)
    private let destroyed = Flag(false)

    /// Destroys the handle now, as a crashed process would (no commit, no
    /// LeaveGroup). The client must not be used afterwards.
    func destroyAsCrashed() {
        guard !destroyed.exchange(true) else { return }
        rd_kafka_destroy_flags(handle, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE)
    }

    deinit {
        if !destroyed.exchange(true) {
            if skipConsumerClose.value {
                rd_kafka_destroy_flags(handle, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE)
            } else {
                rd_kafka_destroy(handle)
            }
        }
        contextRef.release()
    }

    /// Partition count of `topic`, from broker metadata. Blocking.
    func partitionCount(topic: String, timeoutMs: Int32) throws -> Int {
        guard let rkt = rd_kafka_topic_new(handle, topic, nil) else {
            throw KafkaError(.metadata, "cannot create topic handle for \(topic)")
        }
        defer { rd_kafka_topic_destroy(rkt) }
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let err = rd_kafka_metadata(handle, 0, rkt, &metadata, timeoutMs)
        try check(err, .metadata, "metadata for \(topic)")
        defer { rd_kafka_metadata_destroy(metadata) }
        guard let md = metadata?.pointee, md.topic_cnt > 0 else {
            throw KafkaError(.metadata, "no metadata for topic \(topic)")
        }
        let t = md.topics[0]
        if t.err != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError(.metadata, "topic \(topic): \(String(cString: rd_kafka_err2str(t.err)))",
                             rdKafkaCode: t.err.rawValue)
        }
        context.allBrokersDown.value = false
        return Int(t.partition_cnt)
    }

    /// Low and high watermark of one partition. Blocking.
    func watermarks(topic: String, partition: Int32, timeoutMs: Int32) throws -> (low: Int64, high: Int64) {
        var low: Int64 = 0
        var high: Int64 = 0
        let err = rd_kafka_query_watermark_offsets(handle, topic, partition, &low, &high, timeoutMs)
        try check(err, .metadata, "watermarks of \(topic)[\(partition)]")
        return (low, high)
    }
}

func check(_ err: rd_kafka_resp_err_t, _ code: KafkaError.Code, _ what: String) throws {
    guard err != RD_KAFKA_RESP_ERR_NO_ERROR else { return }
    throw KafkaError(code, "\(what): \(String(cString: rd_kafka_err2str(err)))", rdKafkaCode: err.rawValue)
}

func errorFromRDKafkaError(_ error: OpaquePointer, _ code: KafkaError.Code) -> KafkaError {
    let err = rd_kafka_error_code(error)
    let text = String(cString: rd_kafka_error_string(error))
    rd_kafka_error_destroy(error)
    return KafkaError(code, text, rdKafkaCode: err.rawValue)
}

/// Reads headers of a consumed message.
func readHeaders(_ message: UnsafeMutablePointer<rd_kafka_message_t>) -> [KafkaHeader] {
    var hdrs: OpaquePointer?
    guard rd_kafka_message_headers(message, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR, let hdrs else { return [] }
    var result: [KafkaHeader] = []
    var idx = 0
    while true {
        var name: UnsafePointer<CChar>?
        var value: UnsafeRawPointer?
        var size = 0
        guard rd_kafka_header_get_all(hdrs, idx, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR else { break }
        let bytes = value.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) } ?? []
        result.append(KafkaHeader(key: name.map { String(cString: $0) } ?? "", value: bytes))
        idx += 1
    }
    return result
}

func makeConsumerMessage(_ m: UnsafeMutablePointer<rd_kafka_message_t>) -> KafkaConsumerMessage {
    let msg = m.pointee
    let topic = msg.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? ""
    let key = msg.key.map { Array(UnsafeRawBufferPointer(start: $0, count: msg.key_len)) }
    let value = msg.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: msg.len)) } ?? []
    var tsType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
    let ts = rd_kafka_message_timestamp(m, &tsType)
    return KafkaConsumerMessage(topic: topic, partition: msg.partition, offset: msg.offset, key: key,
                                value: value, headers: readHeaders(m),
                                timestampMs: tsType == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? nil : ts)
}

/// Text of a NUL-terminated C buffer.
func cString(_ buffer: [CChar]) -> String {
    let end = buffer.firstIndex(of: 0) ?? buffer.endIndex
    return String(decoding: buffer[..<end].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// A shareable atomic boolean (`Atomic` itself cannot be captured by closures).
final class Flag: Sendable {
    private let storage: Atomic<Bool>
    init(_ value: Bool) { storage = Atomic(value) }
    var value: Bool {
        get { storage.load(ordering: .acquiring) }
        set { storage.store(newValue, ordering: .releasing) }
    }
    func exchange(_ value: Bool) -> Bool { storage.exchange(value, ordering: .acquiringAndReleasing) }
}
