/// W3C trace context (`traceparent`, `tracestate`). Carried in every envelope
/// and as Kafka headers, so a trace follows an incident across daemons.
public struct TraceContext: Sendable, Hashable, Codable {
    public var traceparent: String
    public var tracestate: String?

    public init(traceparent: String, tracestate: String? = nil) {
        self.traceparent = traceparent
        self.tracestate = tracestate
    }

    /// A new root trace.
    public static func newRoot() -> TraceContext {
        TraceContext(traceparent: "00-\(randomHex(16))-\(randomHex(8))-01")
    }

    /// Parses an incoming `traceparent`; nil when it is not version 00 well-formed.
    public init?(header: String, state: String? = nil) {
        guard Self.isWellFormed(header) else { return nil }
        self.init(traceparent: header, tracestate: state)
    }

    /// `00-<32 lower hex, not all 0>-<16 lower hex, not all 0>-<2 lower hex>`, checked on the bytes (every
    /// event the ingestor plans derives a child context: this is on the hot path).
    static func isWellFormed(_ header: String) -> Bool {
        var header = header
        return header.withUTF8 { b in
            guard b.count == 55, b[0] == 0x30, b[1] == 0x30, b[2] == 0x2d, b[35] == 0x2d, b[52] == 0x2d else { return false }
            func hex(_ r: Range<Int>) -> Bool { r.allSatisfy { (0x30...0x39).contains(b[$0]) || (0x61...0x66).contains(b[$0]) } }
            func zero(_ r: Range<Int>) -> Bool { r.allSatisfy { b[$0] == 0x30 } }
            return hex(3..<35) && hex(36..<52) && hex(53..<55) && !zero(3..<35) && !zero(36..<52)
        }
    }

    /// The trace id; empty when `traceparent` is malformed (decoding rejects such events, but a value
    /// built in code is never trusted to be well formed: nothing here traps).
    public var traceID: String { Self.isWellFormed(traceparent) ? String(traceparent.utf8.dropFirst(3).prefix(32))! : "" }
    public var spanID: String { Self.isWellFormed(traceparent) ? String(traceparent.utf8.dropFirst(36).prefix(16))! : "" }

    /// The span the current task is in, when a daemon exports traces (its consume loop or webhook
    /// sets it): the events it writes carry that span, so the next daemon's span is its child.
    @TaskLocal public static var current: TraceContext?

    /// A child span in the same trace: what an event caused by this one carries — the current span
    /// when tracing is on and it is in this trace, else a new span id. A malformed context starts a
    /// new root instead.
    public func child() -> TraceContext {
        guard Self.isWellFormed(traceparent) else { return .newRoot() }
        if let current = Self.current, current.traceID == traceID { return current }
        let trace = String(traceparent.utf8.dropFirst(3).prefix(32))!
        let flags = String(traceparent.utf8.suffix(2))!
        return TraceContext(traceparent: "00-\(trace)-\(Self.randomHex(8))-\(flags)", tracestate: tracestate)
    }

    /// Lower-case hex of random bytes, never all zero (an invalid id in W3C trace context).
    static func randomHex(_ bytes: Int) -> String {
        var out = ""
        out.reserveCapacity(bytes * 2)
        var rng = SystemRandomNumberGenerator()
        while out.count < bytes * 2 {
            var word = rng.next() as UInt64
            if word == 0 { word = 1 }
            let digits = String(word, radix: 16)
            out += String(repeating: "0", count: 16 - digits.count) + digits
        }
        return String(out.prefix(bytes * 2))
    }

    enum CodingKeys: String, CodingKey { case traceparent, tracestate }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let header = try c.decode(String.self, forKey: .traceparent)
        guard let valid = TraceContext(header: header, state: try c.decodeIfPresent(String.self, forKey: .tracestate)) else {
            throw DecodingError.dataCorruptedError(forKey: .traceparent, in: c,
                                                   debugDescription: "not a W3C traceparent (version 00)")
        }
        self = valid
    }
}
