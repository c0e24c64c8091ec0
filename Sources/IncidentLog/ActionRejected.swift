import Crypto
import Foundation

public struct ActionRejected: Sendable, Hashable, Codable {
    public var requestID: String
    public var action: String
    public var approver: Approver
    public var reason: String
    public init(requestID: String, action: String, approver: Approver, reason: String) {
        self.requestID = requestID; self.action = action; self.approver = approver; self.reason = reason
    }
    enum CodingKeys: String, CodingKey { case action, approver, reason; case requestID = "request_id" }
}
