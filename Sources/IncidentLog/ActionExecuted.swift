import Crypto
import Foundation

public struct ActionExecuted: Sendable, Hashable, Codable {
    public var requestID: String
    public var action: String
    public var exitStatus: Int32
    public var durationMs: Int
    /// Truncated and redacted.
    public var output: String
    public var truncated: Bool
    public var timedOut: Bool
    public init(requestID: String, action: String, exitStatus: Int32, durationMs: Int, output: String, truncated: Bool,
                timedOut: Bool) {
        self.requestID = requestID; self.action = action; self.exitStatus = exitStatus; self.durationMs = durationMs
        self.output = output; self.truncated = truncated; self.timedOut = timedOut
    }
    enum CodingKeys: String, CodingKey {
        case action, output, truncated
        case requestID = "request_id", exitStatus = "exit_status", durationMs = "duration_ms", timedOut = "timed_out"
    }
}
