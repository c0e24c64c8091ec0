import DaemonRuntime
import Foundation
import HTTPClient
import Logging
import Metrics
import Synchronization

public struct EmbeddingsError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable { case unavailable, rejected, malformed }
    public var kind: Kind
    public var message: String
    public var description: String { "embeddings \(kind): \(message)" }
}

/// Client for any OpenAI-compatible embeddings server.
public final class EmbeddingsClient: Sendable {
    public enum InputType: String, Sendable { case passage, query }

    public let configuration: EmbeddingsConfiguration
    private let http: HTTPClient
    private let logger: Logger
    private let latency = Timer(label: "aiops_embeddings_request_seconds", preferredDisplayUnit: .seconds)
    /// Whether to prefix texts; nil until probed (`auto`).
    private let prefixing = Mutex<Bool?>(nil)

    public init(configuration: EmbeddingsConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        http = try HTTPClient()
    }

    /// Embeddings in input order, in batches of `batchSize`.
    public func embed(_ texts: [String], as type: InputType) async throws -> [[Float]] {
        let texts = try await addsPrefixes() ? texts.map { "\(type.rawValue): \($0)" } : texts
        var out: [[Float]] = []
        out.reserveCapacity(texts.count)
        var start = 0
        while start < texts.count {
            let end = min(texts.count, start + max(1, configuration.batchSize))
            out += try await embedBatch(Array(texts[start..<end]), type: type)
            start = end
        }
        return out
    }

    /// e5 models were trained with `query: ` and `passage: ` in front of the text. A server that honours
    /// `input_type` adds them; one that ignores it (a plain OpenAI-compatible server) does not, and queries
    /// then land in the wrong part of the space. `auto` asks once: the same text as query and as passage —
    /// identical vectors mean `input_type` is ignored, so the client writes the prefixes itself.
    public func addsPrefixes() async throws -> Bool {
        switch configuration.prefixes {
        case .always: return true
        case .never: return false
        case .auto:
            if let known = prefixing.withLock({ $0 }) { return known }
            guard configuration.model.lowercased().contains("e5") else { prefixing.withLock { $0 = false }; return false }
            let probe = "aiops probe: is input_type honoured?"
            let q = try await embedBatch([probe], type: .query)
            let p = try await embedBatch([probe], type: .passage)
            let ignored = !configuration.sendInputType || q == p
            if ignored { logger.notice("the embeddings server ignores input_type: adding e5 prefixes to the texts") }
            prefixing.withLock { $0 = ignored }
            return ignored
        }
    }

    private struct Request: Encodable {
        var input: [String]
        var model: String
        var input_type: String?
        var dimensions: Int?
    }

    private struct Response: Decodable {
        struct Item: Decodable { var embedding: [Float]; var index: Int }
        var data: [Item]
    }

    private func embedBatch(_ texts: [String], type: InputType) async throws -> [[Float]] {
        let body = try JSONEncoder().encode(Request(input: texts, model: configuration.model,
                                                    input_type: configuration.sendInputType ? type.rawValue : nil,
                                                    dimensions: nil))
        var headers = ["Content-Type": "application/json"]
        if let key = configuration.apiKey { headers["Authorization"] = "Bearer \(key)" }
        let outcome = try await http.requestRetrying(
            "POST", "\(configuration.baseURL)/embeddings", headers: headers, body: Array(body),
            timeout: .milliseconds(configuration.timeoutMs), attempts: configuration.retries,
            backoff: { .milliseconds(min(5_000, 200 * (1 << min($0 - 1, 5)))) },
            willRetry: { attempt, _ in logger.warning("embeddings request failed, retrying", metadata: ["attempt": "\(attempt)"]) },
            answered: { latency.recordDuration(since: $0) })
        guard let r = outcome.response else {
            throw EmbeddingsError(kind: .unavailable, message: outcome.error?.description ?? "no answer")
        }
        if r.status == 200 {
            let decoded: Response
            do { decoded = try JSONDecoder().decode(Response.self, from: Data(r.body)) } catch {
                throw EmbeddingsError(kind: .malformed, message: "unexpected response: \(r.text.prefix(200))")
            }
            guard decoded.data.count == texts.count else {
                throw EmbeddingsError(kind: .malformed, message: "asked for \(texts.count) embeddings, got \(decoded.data.count)")
            }
            let ordered = decoded.data.sorted { $0.index < $1.index }.map(\.embedding)
            if let bad = ordered.first(where: { $0.count != configuration.dimensions }) {
                throw EmbeddingsError(kind: .malformed, message: "embedding has \(bad.count) dimensions, configured \(configuration.dimensions)")
            }
            return ordered
        }
        if RetriedResponse.retryable(r.status) {
            throw EmbeddingsError(kind: .unavailable, message: "server answered \(r.status) \(outcome.attempts) times")
        }
        throw EmbeddingsError(kind: .rejected, message: "server answered \(r.status): \(r.text.prefix(300))")
    }
}
