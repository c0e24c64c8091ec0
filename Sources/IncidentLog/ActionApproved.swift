import Crypto
import Foundation

/// An action cleared to run. Signed by the approver with a key it shares
/// only with the executor, so nothing else can approve.
public struct ActionApproved: Sendable, Hashable, Codable {
    /// Id of the proposal this approves; the executor runs each request at most once.
    public var requestID: String
    public var action: String
    public var parameters: [String: String]
    public var risk: String
    public var approver: Approver
    public var reason: String?
    /// Hex HMAC-SHA256 of `canonical(incidentID:)`.
    public var signature: String

    public init(requestID: String, action: String, parameters: [String: String], risk: String, approver: Approver,
                reason: String?, signature: String = "") {
        self.requestID = requestID; self.action = action; self.parameters = parameters; self.risk = risk
        self.approver = approver; self.reason = reason; self.signature = signature
    }

    enum CodingKeys: String, CodingKey {
        case action, parameters, risk, approver, reason, signature
        case requestID = "request_id"
    }

    /// What the signature covers: everything that decides what runs and who said so.
    public func canonical(incidentID: String) -> String {
        let params = parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "&")
        return [incidentID, requestID, action, risk, params, approver.name, approver.kind.rawValue].joined(separator: "\n")
    }

    public func signed(incidentID: String, key: SymmetricKey) -> ActionApproved {
        var copy = self
        copy.signature = Self.mac(copy.canonical(incidentID: incidentID), key: key)
        return copy
    }

    /// Constant-time check of the signature.
    public func hasValidSignature(incidentID: String, key: SymmetricKey) -> Bool {
        guard let given = Data(hexString: signature) else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(given, authenticating: Data(canonical(incidentID: incidentID).utf8),
                                                      using: key)
    }

    static func mac(_ text: String, key: SymmetricKey) -> String {
        Data(HMAC<SHA256>.authenticationCode(for: Data(text.utf8), using: key)).map { String(format: "%02x", $0) }.joined()
    }
}
