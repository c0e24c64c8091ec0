/// Why a record was not accepted as written by whom it claims: it is
/// dead-lettered with this reason and counted, never acted on.
public struct RecordRejection: Error, CustomStringConvertible, Sendable, Hashable {
    public struct Reason: Hashable, Sendable, CustomStringConvertible {
        public let raw: String
        public static let unsigned = Reason(raw: "unsigned")
        public static let malformedSignature = Reason(raw: "malformed_signature")
        public static let unknownKey = Reason(raw: "unknown_key")
        public static let badSignature = Reason(raw: "bad_signature")
        public static let invalidEvent = Reason(raw: "invalid_event")
        public static let wrongProducer = Reason(raw: "wrong_producer")
        public static let notOwner = Reason(raw: "not_owner")
        public static let keyMismatch = Reason(raw: "key_mismatch")
        public var description: String { raw }
    }
    public var reason: Reason
    public var detail: String
    public init(_ reason: Reason, _ detail: String) { self.reason = reason; self.detail = detail }
    public var description: String { "rejected (\(reason)): \(detail)" }
}
