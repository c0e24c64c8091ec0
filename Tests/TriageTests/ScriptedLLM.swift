import DaemonRuntime
import Foundation
import Hummingbird
import IncidentLog
import Logging
import Synchronization
import TestSupport

/// A local server that speaks the OpenAI `/v1/chat/completions` API and
/// answers from a script: the test decides, per request, what "the model"
/// says — including malicious tool calls and endless loops. Every request is
/// kept for assertions about the prompt and the tools.
final class ScriptedLLM: Sendable {
    typealias Script = @Sendable (_ index: Int, _ request: JSONValue) -> JSONValue

    final class Recorder: Sendable {
        let requests = Mutex<[JSONValue]>([])
    }

    let baseURL: String
    let recorder = Recorder()
    private let server: Task<Void, any Error>

    init(_ script: @escaping Script) async throws {
        let port = try freeLoopbackPort()
        let router = Router()
        let recorder = recorder
        router.get("/healthz") { _, _ in "ok" }
        router.post("/v1/chat/completions") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 16 << 20)
            let json = try JSONDecoder().decode(JSONValue.self, from: Data(body.readableBytesView))
            let index = recorder.requests.withLock { $0.append(json); return $0.count - 1 }
            return jsonResponse(.ok, script(index, json))
        }
        var logger = Logger(label: "scripted-llm")
        logger.logLevel = .critical
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: logger)
        server = Task { try await app.runService() }
        baseURL = "http://127.0.0.1:\(port)/v1"
        try await waitUntilReady("http://127.0.0.1:\(port)/healthz")
    }

    deinit { server.cancel() }

    var requests: [JSONValue] { recorder.requests.withLock { $0 } }

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
