import Foundation
import IncidentLog
import TestSupport

/// A local server that speaks the OpenAI `/v1/chat/completions` API and
/// answers from a script: the test decides, per request, what "the model"
/// says — including malicious tool calls and endless loops. Every request is
/// kept for assertions about the prompt and the tools.
final class ScriptedLLM: Sendable {
    typealias Script = @Sendable (_ index: Int, _ request: JSONValue) -> JSONValue

    let server: TestHTTPServer
    var baseURL: String { server.baseURL + "/v1" }

    /// `delay`: the model takes this long to answer a request (e.g. one incident's), if at all.
    init(delay: @escaping @Sendable (_ request: String) -> Duration? = { _ in nil }, _ script: @escaping Script) async throws {
        server = try await TestHTTPServer({ index, received in
            guard received.path == "/v1/chat/completions",
                  let request = try? JSONDecoder().decode(JSONValue.self, from: Data(received.body)) else {
                return (404, Array(#"{"error":{"message":"not found"}}"#.utf8))
            }
            return (200, Array((try? JSONEncoder().encode(script(index, request))) ?? Data()))
        }, delay: { delay($0.text) })
    }

    var requests: [JSONValue] {
        server.requests.compactMap { try? JSONDecoder().decode(JSONValue.self, from: Data($0.body)) }
    }

    // MARK: what the model says

    static func toolCall(_ name: String, _ arguments: JSONValue, promptTokens: Int = 900,
                         completionTokens: Int = 60) -> JSONValue {
        let args = String(decoding: (try? JSONEncoder().encode(arguments)) ?? Data(), as: UTF8.self)
        return completion(message: .object([
            "role": "assistant", "content": .null,
            "tool_calls": [.object(["id": .string("call_\(UUID().uuidString.prefix(8))"), "type": "function",
                                    "function": .object(["name": .string(name), "arguments": .string(args)])])],
        ]), promptTokens: promptTokens, completionTokens: completionTokens)
    }

    static func text(_ content: String) -> JSONValue {
        completion(message: .object(["role": "assistant", "content": .string(content)]), promptTokens: 900, completionTokens: 40)
    }

    static func completion(message: JSONValue, promptTokens: Int, completionTokens: Int) -> JSONValue {
        .object([
            "id": "chatcmpl-scripted", "object": "chat.completion", "model": "scripted",
            "choices": [.object(["index": 0, "message": message, "finish_reason": "tool_calls"])],
            "usage": .object(["prompt_tokens": .number(Double(promptTokens)),
                              "completion_tokens": .number(Double(completionTokens)),
                              "total_tokens": .number(Double(promptTokens + completionTokens))]),
        ])
    }

    /// The chunk ids the prompt offers as evidence (from the fenced blocks' attributes).
    static func evidence(in request: JSONValue) -> [String] {
        guard let user = userMessage(request) else { return [] }
        var out: [String] = []
        var rest = Substring(user)
        while let r = rest.range(of: "chunk=\"") {
            let tail = rest[r.upperBound...]
            guard let end = tail.firstIndex(of: "\"") else { break }
            out.append(String(tail[..<end]))
            rest = tail[end...]
        }
        return out
    }

    /// The first chunk the prompt offers as evidence whose id starts with `prefix` ("missing" when none: the
    /// model then cites something the reasoner refuses, and the test says so).
    static func cited(_ prefix: String, in request: JSONValue) -> String {
        evidence(in: request).first { $0.hasPrefix(prefix) } ?? "missing"
    }

    /// The model asks for the payments-api logs of the last 15 minutes, citing `runbook`.
    static func paymentsLogs(because rationale: String, citing runbook: String) -> JSONValue {
        toolCall("kubectl_logs", .object([
            "parameters": .object(["namespace": "payments", "deployment": "payments-api", "since": "15m"]),
            "rationale": .string(rationale), "citations": [.string(runbook)]]))
    }

    static func userMessage(_ request: JSONValue) -> String? {
        guard case .array(let messages)? = request["messages"] else { return nil }
        return messages.first { $0["role"]?.stringValue == "user" }?["content"]?.stringValue
    }

    static func systemMessage(_ request: JSONValue) -> String? {
        guard case .array(let messages)? = request["messages"] else { return nil }
        return messages.first { $0["role"]?.stringValue == "system" }?["content"]?.stringValue
    }

    static func toolNames(_ request: JSONValue) -> [String] {
        guard case .array(let tools)? = request["tools"] else { return [] }
        return tools.compactMap { $0["function"]?["name"]?.stringValue }
    }
}
