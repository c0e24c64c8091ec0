import Crypto
import Foundation

/// The action did not run (refused, invalid, could not start).
public struct ActionFailed: Sendable, Hashable, Codable {
    public var requestID: String
    public var action: String
    public var error: String
    public init(requestID: String, action: String, error: String) {
        self.requestID = requestID; self.action = action; self.error = error
    }
    enum CodingKeys: String, CodingKey { case action, error; case requestID = "request_id" }
}
