import Crypto
import Foundation

/// A destructive action was started but its outcome was never recorded
/// (the executor died): it is not run again; a human must look.
public struct ActionOutcomeUnknown: Sendable, Hashable, Codable {
    public var requestID: String
    public var action: String
    public var reason: String
    public init(requestID: String, action: String, reason: String) {
        self.requestID = requestID; self.action = action; self.reason = reason
    }
    enum CodingKeys: String, CodingKey { case action, reason; case requestID = "request_id" }
}
