import DaemonRuntime
import Foundation
import HTTPClient
import IncidentLog
import Logging
import Metrics

public struct ChatCompletion: Sendable {
    public var content: String?
    public var toolCalls: [ToolCall]
    public var promptTokens: Int
    public var completionTokens: Int
}
