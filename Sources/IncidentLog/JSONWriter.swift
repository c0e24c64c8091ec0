import Foundation

/// A minimal JSON writer for the hot path (every alert becomes two records).
/// Foundation's JSONEncoder costs ~20 µs per record here; this writes the same
/// JSON (checked by the round-trip and schema tests) an order of magnitude faster.
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []
    private var needsComma = false

    public init(capacity: Int = 1024) { bytes.reserveCapacity(capacity) }

    public mutating func beginObject() { separate(); bytes.append(UInt8(ascii: "{")); needsComma = false }
    public mutating func endObject() { bytes.append(UInt8(ascii: "}")); needsComma = true }

    public mutating func key(_ k: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        k.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    public mutating func field(_ k: StaticString, _ v: String) { key(k); string(v) }
    public mutating func field(_ k: StaticString, _ v: String?) { key(k); if let v { string(v) } else { null() } }
    public mutating func field(_ k: StaticString, _ v: Int) { key(k); int(v) }
    public mutating func field(_ k: StaticString, _ v: [String: String]) { key(k); stringMap(v) }

    public mutating func null() { separate(); bytes.append(contentsOf: [110, 117, 108, 108]); needsComma = true }

    public mutating func int(_ v: Int) {
        separate()
        bytes.append(contentsOf: String(v).utf8)
        needsComma = true
    }

    public mutating func stringMap(_ map: [String: String]) {
        beginObject()
        for (k, v) in map {
            separate()
            writeString(k)
            bytes.append(UInt8(ascii: ":"))
            writeString(v)
            needsComma = true
        }
        endObject()
    }

    public mutating func string(_ s: String) {
        separate()
        writeString(s)
        needsComma = true
    }

    /// Splices already-encoded JSON in as a value.
    public mutating func raw(_ json: [UInt8]) {
        separate()
        bytes.append(contentsOf: json)
        needsComma = true
    }

    private mutating func separate() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    private mutating func writeString(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { utf8 in
            var start = 0
            for i in 0..<utf8.count {
                let c = utf8[i]
                guard c < 0x20 || c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") else { continue }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<i]))
                switch c {
                case UInt8(ascii: "\""): bytes.append(contentsOf: [92, 34])
                case UInt8(ascii: "\\"): bytes.append(contentsOf: [92, 92])
                case 0x0a: bytes.append(contentsOf: [92, 110])
                case 0x0d: bytes.append(contentsOf: [92, 114])
                case 0x09: bytes.append(contentsOf: [92, 116])
                default:
                    bytes.append(contentsOf: [92, 117, 48, 48, Self.hex[Int(c >> 4)], Self.hex[Int(c & 0xf)]])
                }
                start = i + 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<utf8.count]))
        }
        bytes.append(UInt8(ascii: "\""))
    }
}

extension IncidentEvent {
    /// The record's JSON, as `Codable` would write it.
    public func jsonBytes() throws -> [UInt8] {
        var w = JSONWriter(capacity: 1024)
        w.beginObject()
        w.field("event_id", eventID)
        w.field("incident_id", incidentID)
        w.field("type", type)
        w.field("schema_version", schemaVersion)
        w.field("occurred_at", RFC3339.format(occurredAt))
        w.field("producer", producer)
        w.field("causation_id", causationID)
        w.key("trace")
        w.beginObject()
        w.field("traceparent", trace.traceparent)
        if let state = trace.tracestate { w.field("tracestate", state) }
        w.endObject()
        w.key("payload")
        switch payload {
        case .incidentOpened(let p):
            w.beginObject()
            w.field("source", p.source.rawValue)
            w.field("group_key", p.groupKey)
            w.field("title", p.title)
            w.field("severity", p.severity)
            w.field("service", p.service)
            w.field("receiver", p.receiver)
            w.field("external_url", p.externalURL)
            w.field("labels", p.labels)
            w.field("annotations", p.annotations)
            w.endObject()
        case .alertAttached(let p):
            w.beginObject()
            w.field("alert_id", p.alertID)
            w.field("fingerprint", p.fingerprint)
            w.field("alertname", p.alertname)
            w.field("starts_at", p.startsAt)
            w.field("generator_url", p.generatorURL)
            w.field("labels", p.labels)
            w.field("annotations", p.annotations)
            w.endObject()
        case .alertResolved(let p):
            w.beginObject()
            w.field("alert_id", p.alertID)
            w.field("fingerprint", p.fingerprint)
            w.field("alertname", p.alertname)
            w.field("starts_at", p.startsAt)
            w.field("ends_at", p.endsAt)
            w.endObject()
        case .incidentResolved(let p):
            w.beginObject()
            w.field("reason", p.reason)
            w.endObject()
        default:
            // Off the hot path (one event per step, not per alert): Codable is fine.
            w.raw(Array(try JSONEncoder().encode(payload.value)))
        }
        w.endObject()
        return w.bytes
    }
}

extension NormalizedAlert {
    public func jsonBytes() -> [UInt8] {
        var w = JSONWriter(capacity: 768)
        w.beginObject()
        w.field("alert_id", alertID)
        w.field("fingerprint", fingerprint)
        w.field("status", status)
        w.field("alertname", alertname)
        w.field("starts_at", startsAt)
        w.field("ends_at", endsAt)
        w.field("generator_url", generatorURL)
        w.field("group_key", groupKey)
        w.field("receiver", receiver)
        w.field("external_url", externalURL)
        w.field("received_at", receivedAt)
        w.field("labels", labels)
        w.field("annotations", annotations)
        w.endObject()
        return w.bytes
    }
}
