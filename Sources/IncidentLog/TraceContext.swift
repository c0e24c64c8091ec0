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
        let parts = header.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "00", parts[1].count == 32, parts[2].count == 16, parts[3].count == 2,
              parts.dropFirst().allSatisfy({ $0.allSatisfy(\.isHexDigit) && $0 == $0.lowercased() }),
              parts[1] != String(repeating: "0", count: 32), parts[2] != String(repeating: "0", count: 16)
        else { return nil }
        self.init(traceparent: header, tracestate: state)
    }

    /// The trace id; empty when `traceparent` is malformed (decoding rejects such events, but a value
    /// built in code is never trusted to be well formed: nothing here traps).
    public var traceID: String { part(1) ?? "" }
    public var spanID: String { part(2) ?? "" }

    private func part(_ i: Int) -> String? {
        let parts = traceparent.split(separator: "-", omittingEmptySubsequences: false)
        return parts.count == 4 ? String(parts[i]) : nil
    }

    /// A child span in the same trace: what an event caused by this one carries.
    /// A malformed context starts a new root instead.
    public func child() -> TraceContext {
        guard let valid = TraceContext(header: traceparent, state: tracestate) else { return .newRoot() }
        let parts = valid.traceparent.split(separator: "-")
        return TraceContext(traceparent: "00-\(parts[1])-\(Self.randomHex(8))-\(parts[3])", tracestate: tracestate)
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
