import Crypto
import Foundation

public struct ActionStarted: Sendable, Hashable, Codable {
    public var requestID: String
    public var action: String
    public var parameters: [String: String]
    public var risk: String
    public var executor: String
    public init(requestID: String, action: String, parameters: [String: String], risk: String, executor: String) {
        self.requestID = requestID; self.action = action; self.parameters = parameters; self.risk = risk; self.executor = executor
    }
    enum CodingKeys: String, CodingKey { case action, parameters, risk, executor; case requestID = "request_id" }
}
