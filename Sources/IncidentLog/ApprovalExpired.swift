import Crypto
import Foundation

public struct ApprovalExpired: Sendable, Hashable, Codable {
    public var requestID: String
    public var action: String
    public init(requestID: String, action: String) { self.requestID = requestID; self.action = action }
    enum CodingKeys: String, CodingKey { case action; case requestID = "request_id" }
}
