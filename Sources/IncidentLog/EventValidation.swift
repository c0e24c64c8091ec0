import Foundation

/// The formats of ids and names on the log (as `topics/schemas` declare them),
/// checked whenever an event is decoded: a record that fails is rejected with
/// the field that failed, never half-trusted. Formats matter beyond tidiness:
/// ids end up in signed encodings, file names, URLs and terminals.
public enum EventFormat {
    /// `ev-` + 32 lowercase hex.
    public static func isEventID(_ s: String) -> Bool { hex(s, prefix: "ev-", count: 32) }
    /// `inc-` + 20 lowercase hex.
    public static func isIncidentID(_ s: String) -> Bool { hex(s, prefix: "inc-", count: 20) }
    /// A daemon or tool name: `[a-z][a-z0-9-]{0,62}`.
    public static func isProducer(_ s: String) -> Bool {
        guard let f = s.utf8.first, (0x61...0x7a).contains(f), s.utf8.count <= 63 else { return false }
        return s.utf8.allSatisfy { (0x61...0x7a).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2d }
    }
    /// A catalog action id: `[a-z0-9][a-z0-9._-]{0,127}`.
    public static func isActionID(_ s: String) -> Bool {
        guard let f = s.utf8.first, isLowerAlnum(f), s.utf8.count <= 128 else { return false }
        return s.utf8.allSatisfy { isLowerAlnum($0) || $0 == 0x2e || $0 == 0x5f || $0 == 0x2d }
    }
    /// A parameter name: `[a-z_][a-z0-9_]{0,63}`.
    public static func isParameterName(_ s: String) -> Bool {
        guard let f = s.utf8.first, (0x61...0x7a).contains(f) || f == 0x5f, s.utf8.count <= 64 else { return false }
        return s.utf8.allSatisfy { isLowerAlnum($0) || $0 == 0x5f }
    }
    /// Printable text without control characters (no newline, escape, NUL), 1...max UTF-8 bytes.
    public static func isPrintable(_ s: String, max: Int) -> Bool {
        guard !s.isEmpty, s.utf8.count <= max else { return false }
        return !s.unicodeScalars.contains { $0.properties.generalCategory == .control || $0.properties.generalCategory == .format }
    }

    static func isLowerAlnum(_ b: UInt8) -> Bool { (0x61...0x7a).contains(b) || (0x30...0x39).contains(b) }

    static func hex(_ s: String, prefix: String, count: Int) -> Bool {
        guard s.hasPrefix(prefix), s.utf8.count == prefix.utf8.count + count else { return false }
        return s.utf8.dropFirst(prefix.utf8.count).allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}

/// An event field that is not in its declared format.
public struct EventFormatError: Error, CustomStringConvertible, Sendable {
    public var field: String
    public var problem: String
    public init(_ field: String, _ problem: String) { self.field = field; self.problem = problem }
    public var description: String { "\(field): \(problem)" }
}

extension IncidentEvent {
    /// Checks the envelope and the ids and names inside the payload.
    public func validate() throws(EventFormatError) {
        guard EventFormat.isEventID(eventID) else { throw EventFormatError("event_id", "not ev-<32 hex>") }
        guard EventFormat.isIncidentID(incidentID) else { throw EventFormatError("incident_id", "not inc-<20 hex>") }
        guard EventFormat.isProducer(producer) else { throw EventFormatError("producer", "not a producer name") }
        if let c = causationID, !EventFormat.isPrintable(c, max: 512) {
            throw EventFormatError("causation_id", "empty, longer than 512 bytes or with control characters")
        }
        guard TraceContext(header: trace.traceparent) != nil else {
            throw EventFormatError("trace.traceparent", "not a W3C traceparent (version 00)")
        }
        if let s = trace.tracestate, s.utf8.count > 512 || !s.unicodeScalars.allSatisfy({ (0x20...0x7e).contains($0.value) }) {
            throw EventFormatError("trace.tracestate", "longer than 512 bytes or not printable ASCII")
        }
        guard schemaVersion >= 1 else { throw EventFormatError("schema_version", "must be at least 1") }
        try payload.validate()
    }
}

extension IncidentEventPayload {
    func validate() throws(EventFormatError) {
        func request(_ id: String) throws(EventFormatError) {
            guard EventFormat.isEventID(id) else { throw EventFormatError("payload.request_id", "not ev-<32 hex>") }
        }
        func action(_ id: String) throws(EventFormatError) {
            guard EventFormat.isActionID(id) else { throw EventFormatError("payload.action", "not a catalog action id") }
        }
        func parameters(_ p: [String: String]) throws(EventFormatError) {
            guard p.count <= 32 else { throw EventFormatError("payload.parameters", "more than 32 parameters") }
            for (k, v) in p {
                guard EventFormat.isParameterName(k) else { throw EventFormatError("payload.parameters", "bad parameter name") }
                guard v.utf8.count <= 1_024 else { throw EventFormatError("payload.parameters.\(k)", "longer than 1024 bytes") }
            }
        }
        func risk(_ r: String) throws(EventFormatError) {
            guard r == "read_only" || r == "destructive" else { throw EventFormatError("payload.risk", "not read_only or destructive") }
        }
        func approver(_ a: Approver) throws(EventFormatError) {
            guard EventFormat.isPrintable(a.name, max: 128) else {
                throw EventFormatError("payload.approver.name", "empty, longer than 128 bytes or with control characters")
            }
        }
        switch self {
        case .actionApproved(let p):
            try request(p.requestID); try action(p.action); try parameters(p.parameters); try risk(p.risk); try approver(p.approver)
        case .actionStarted(let p): try request(p.requestID); try action(p.action); try parameters(p.parameters); try risk(p.risk)
        case .actionExecuted(let p): try request(p.requestID); try action(p.action)
        case .actionFailed(let p): try request(p.requestID); try action(p.action)
        case .actionOutcomeUnknown(let p): try request(p.requestID); try action(p.action)
        case .actionProposed(let p): try action(p.action); try parameters(p.parameters)
        case .approvalRequested(let p): try request(p.requestID); try action(p.action); try parameters(p.parameters); try risk(p.risk)
        case .actionRejected(let p): try request(p.requestID); try action(p.action); try approver(p.approver)
        case .approvalExpired(let p): try request(p.requestID); try action(p.action)
        case .triageFeedback(let p):
            guard EventFormat.isEventID(p.triageEventID) else { throw EventFormatError("payload.triage_event_id", "not ev-<32 hex>") }
            try approver(p.by)
            for (field, text, max) in [("right_cause", p.rightCause, 256), ("right_document", p.rightDocument, 256), ("note", p.note, 2_000)] {
                if let text, text.utf8.count > max { throw EventFormatError("payload.\(field)", "longer than \(max) bytes") }
            }
        default: break
        }
    }
}
