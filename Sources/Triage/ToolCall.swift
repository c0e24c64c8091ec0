import DaemonRuntime
import Foundation
import HTTPClient
import IncidentLog
import Logging
import Metrics

/// One tool call the model made.
public struct ToolCall: Sendable {
    public var id: String
    public var name: String
    /// The arguments object (servers send a JSON string or an object; both arrive here as an object).
    public var arguments: JSONValue?
    /// The raw arguments text, for the conversation and error messages.
    public var rawArguments: String
}
