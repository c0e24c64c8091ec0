import Crypto
import Foundation

/// A destructive action waits for a named human until `expiresAt`.
public struct ApprovalRequested: Sendable, Hashable, Codable {
    public var requestID: String
    public var action: String
    public var parameters: [String: String]
    public var risk: String
    public var rationale: String
    public var expiresAt: String
    public init(requestID: String, action: String, parameters: [String: String], risk: String, rationale: String,
                expiresAt: String) {
        self.requestID = requestID; self.action = action; self.parameters = parameters; self.risk = risk
        self.rationale = rationale; self.expiresAt = expiresAt
    }
    enum CodingKeys: String, CodingKey {
        case action, parameters, risk, rationale
        case requestID = "request_id", expiresAt = "expires_at"
    }
}
