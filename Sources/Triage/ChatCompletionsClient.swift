import DaemonRuntime
import Foundation
import HTTPClient
import IncidentLog
import Logging
import Metrics

/// A minimal client for `POST {base}/chat/completions` with tools.
public final class ChatCompletionsClient: Sendable {
    public let configuration: LLMConfiguration
    /// One connection per request in flight: the reasoner plans incidents side by side.
    private let http = HTTPClientPool()
    private let logger: Logger
    private let latency = Timer(label: "aiops_llm_request_seconds", preferredDisplayUnit: .seconds)
    private let tokens = Counter(label: "aiops_llm_tokens_total")

    public init(configuration: LLMConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
    }

    private struct Response: Decodable {
        struct Choice: Decodable { var message: Message }
        struct Message: Decodable { var content: String?; var tool_calls: [Call]? }
        struct Call: Decodable { var id: String?; var function: Function }
        struct Function: Decodable { var name: String; var arguments: JSONValue? }
        struct Usage: Decodable { var prompt_tokens: Int?; var completion_tokens: Int? }
        var choices: [Choice]
        var usage: Usage?
    }

    /// One completion. Throws `PlannerError` when the server cannot be reached
    /// after the retries, refuses the request, or answers something that is not
    /// a chat completion.
    public func complete(messages: [JSONValue], tools: [JSONValue], toolChoice: JSONValue,
                         maxTokens: Int) async throws -> ChatCompletion {
        let request: JSONValue = .object([
            "model": .string(configuration.model),
            "messages": .array(messages),
            "tools": .array(tools),
            "tool_choice": toolChoice,
            "temperature": .number(0),
            "max_tokens": .number(Double(max(1, maxTokens))),
        ])
        let body = try JSONEncoder().encode(request)
        var headers = ["Content-Type": "application/json"]
        if let key = configuration.apiKey { headers["Authorization"] = "Bearer \(key)" }
        let (configuration, logger, latency) = (configuration, logger, latency)
        let outcome = try await http.withClient { http in
            try await http.requestRetrying(
                "POST", "\(configuration.baseURL)/chat/completions", headers: headers, body: Array(body),
                timeout: .milliseconds(configuration.timeoutMs), attempts: max(1, configuration.retries),
                backoff: { .milliseconds(min(5_000, 250 * (1 << min($0 - 1, 4)))) },
                willRetry: { attempt, why in
                    logger.warning("chat completion failed, retrying", metadata: ["attempt": "\(attempt)", "error": "\(why)"])
                },
                answered: { latency.recordDuration(since: $0) })
        }
        if let r = outcome.response {
            if r.status == 200 { return try decode(r.body, promptChars: body.count) }
            let answer = "server answered \(r.status): \(r.text.prefix(300))"
            if !RetriedResponse.retryable(r.status) { throw PlannerError(answer) }
            throw PlannerError("chat completions unavailable after \(outcome.attempts) attempt(s): \(answer)")
        }
        throw PlannerError("chat completions unavailable after \(outcome.attempts) attempt(s): \(outcome.error?.description ?? "no answer")")
    }

    private func decode(_ body: [UInt8], promptChars: Int) throws -> ChatCompletion {
        let r: Response
        do { r = try JSONDecoder().decode(Response.self, from: Data(body)) } catch {
            throw PlannerError("not a chat completion: \(String(decoding: body.prefix(200), as: UTF8.self))")
        }
        guard let message = r.choices.first?.message else { throw PlannerError("chat completion without choices") }
        let calls = (message.tool_calls ?? []).enumerated().map { i, c -> ToolCall in
            let raw: String
            let args: JSONValue?
            switch c.function.arguments {
            case .string(let s)?:
                raw = s
                args = try? JSONDecoder().decode(JSONValue.self, from: Data(s.utf8))
            case let v?:
                raw = (try? String(decoding: JSONEncoder().encode(v), as: UTF8.self)) ?? ""
                args = v
            case nil:
                raw = ""
                args = nil
            }
            return ToolCall(id: c.id ?? "call_\(i)", name: c.function.name, arguments: args, rawArguments: raw)
        }
        // Servers that do not report usage are charged an estimate (4 characters a token), so the bound still holds.
        let completionChars = (message.content?.count ?? 0) + calls.reduce(0) { $0 + $1.name.count + $1.rawArguments.count }
        let prompt = r.usage?.prompt_tokens ?? promptChars / 4
        let completion = r.usage?.completion_tokens ?? max(1, completionChars / 4)
        tokens.increment(by: Int64(prompt + completion))
        return ChatCompletion(content: message.content, toolCalls: calls, promptTokens: prompt, completionTokens: completion)
    }
}
