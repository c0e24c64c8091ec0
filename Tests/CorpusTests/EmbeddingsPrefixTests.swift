import Foundation
import Retrieval
import TestSupport
import Testing

/// An OpenAI-compatible embeddings server that answers from the text alone, as a
/// plain server does: `input_type` is ignored unless `honours` is set.
func plainEmbeddingsServer(honours: Bool) async throws -> TestHTTPServer {
    try await TestHTTPServer { _, received in
        guard let request = try? JSONSerialization.jsonObject(with: Data(received.body)) as? [String: Any],
              let input = request["input"] as? [String] else { return (400, Array("{}".utf8)) }
        let type = honours ? (request["input_type"] as? String ?? "") : ""
        let data = input.enumerated().map { i, text -> [String: Any] in
            var v = [Double](repeating: 0, count: 4)
            for (j, b) in (type + text).utf8.enumerated() { v[j % 4] += Double(b) }
            return ["index": i, "embedding": v]
        }
        return (200, Array(try! JSONSerialization.data(withJSONObject: ["data": data])))
    }
}

@Suite("embeddings client: e5 prefixes")
struct EmbeddingsPrefixTests {
    func client(_ server: TestHTTPServer, model: String = "multilingual-e5-small",
                prefixes: EmbeddingsConfiguration.Prefixes = .auto) throws -> EmbeddingsClient {
        var c = EmbeddingsConfiguration()
        c.baseURL = server.baseURL + "/v1"
        c.model = model
        c.dimensions = 4
        c.prefixes = prefixes
        return try EmbeddingsClient(configuration: c, logger: TestKafka.logger)
    }

    func texts(_ server: TestHTTPServer) -> [String] {
        server.requests.compactMap { r in
            (try? JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any])?["input"] as? [String]
        }.flatMap { $0 }
    }

    @Test func aServerThatIgnoresInputTypeGetsThePrefixesInTheText() async throws {
        let server = try await plainEmbeddingsServer(honours: false)
        let c = try client(server)
        _ = try await c.embed(["disk full on orders-db"], as: .query)
        _ = try await c.embed(["## Mitigation\nGrow the volume."], as: .passage)
        let sent = texts(server)
        #expect(sent.contains("query: disk full on orders-db"), "\(sent)")
        #expect(sent.contains("passage: ## Mitigation\nGrow the volume."))
        #expect(try await c.addsPrefixes())
    }

    @Test func aServerThatHonoursInputTypeOrANonE5ModelGetsTheTextAsItIs() async throws {
        let honouring = try await plainEmbeddingsServer(honours: true)
        let c = try client(honouring)
        _ = try await c.embed(["disk full"], as: .query)
        #expect(texts(honouring).last == "disk full")
        #expect(try await c.addsPrefixes() == false)

        let plain = try await plainEmbeddingsServer(honours: false)
        let other = try client(plain, model: "text-embedding-3-small")
        _ = try await other.embed(["disk full"], as: .query)
        #expect(texts(plain) == ["disk full"], "no probe and no prefix for a model that is not e5")
        let never = try client(plain, prefixes: .never)
        _ = try await never.embed(["x"], as: .query)
        #expect(texts(plain).last == "x")
    }
}
