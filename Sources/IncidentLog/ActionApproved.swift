import Foundation

/// An action cleared to run, signed by the approver (Ed25519, its own key:
/// the executor holds only the public key, so nothing else can approve).
/// The signature covers everything that decides what runs, who said so and
/// for how long, in an unambiguous encoding (`signedBytes`).
public struct ActionApproved: Sendable, Hashable, Codable {
    /// Id of the proposal this approves; the executor runs each request at most once.
    public var requestID: String
    public var action: String
    public var parameters: [String: String]
    public var risk: String
    public var approver: Approver
    public var reason: String?
    /// When the approval was given (RFC 3339).
    public var issuedAt: String
    /// After this the executor refuses to start the action (RFC 3339).
    public var notAfter: String
    /// The approver key that signed it.
    public var keyID: String
    /// Base64 Ed25519 signature of `signedBytes(incidentID:)`.
    public var signature: String

    public init(requestID: String, action: String, parameters: [String: String], risk: String, approver: Approver,
                reason: String?, issuedAt: Date, validFor: TimeInterval) {
        self.requestID = requestID; self.action = action; self.parameters = parameters; self.risk = risk
        self.approver = approver; self.reason = reason
        self.issuedAt = RFC3339.format(issuedAt)
        notAfter = RFC3339.format(issuedAt.addingTimeInterval(validFor))
        keyID = ""
        signature = ""
    }

    enum CodingKeys: String, CodingKey {
        case action, parameters, risk, approver, reason, signature
        case requestID = "request_id", issuedAt = "issued_at", notAfter = "not_after", keyID = "key_id"
    }

    public static let signatureDomain = "aiops-approval-v1"

    /// What the signature covers: a domain tag, then every field length-prefixed (parameters sorted by
    /// name, with their count), so no two different approvals share an encoding whatever their text holds.
    public func signedBytes(incidentID: String) -> [UInt8] {
        var out: [UInt8] = []
        func field(_ s: String) {
            let b = Array(s.utf8)
            out += Self.bigEndian(UInt32(clamping: b.count)) + b
        }
        field(Self.signatureDomain)
        field(incidentID); field(requestID); field(action); field(risk)
        out += Self.bigEndian(UInt32(clamping: parameters.count))
        for (k, v) in parameters.sorted(by: { $0.key < $1.key }) { field(k); field(v) }
        field(approver.name); field(approver.kind.rawValue); field(issuedAt); field(notAfter); field(keyID)
        return out
    }

    /// `issuedAt` to `notAfter` as times; nil when either is not one.
    private var window: (from: Date, to: Date)? {
        guard let from = RFC3339.parse(issuedAt), let to = RFC3339.parse(notAfter) else { return nil }
        return (from, to)
    }

    /// Seconds from `issuedAt` to `notAfter`; nil when either is not a time.
    public var validity: TimeInterval? { window.map { $0.to.timeIntervalSince($0.from) } }

    /// Whether `now` is within the approval's validity (a little clock skew allowed at the start).
    public func isValid(at now: Date, skew: TimeInterval = 60) -> Bool {
        guard let (from, to) = window else { return false }
        return now >= from.addingTimeInterval(-skew) && now <= to
    }

    static func bigEndian(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)] }
}
