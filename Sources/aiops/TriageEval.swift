import Actions
import ArgumentParser
import DaemonRuntime
import Foundation
import IncidentLog
import Ingest
import OperatorCLI
import Retrieval
import Triage
import Yams

/// `aiops eval triage SUITE`: each scenario's alert goes through the
/// ingestor's planner, the retriever and the reasoner (the daemons' own
/// handlers, on the real index); read-only diagnostics are answered from the
/// scenario's recordings (a call nobody recorded fails, never invented); a
/// destructive proposal is where a human would take over. Each trajectory is
/// scored: cause@1, runbook@1, evidence gathered before any mitigation,
/// forbidden proposals, citation validity, iterations, tokens, time to
/// triage — per planner, next to the no-LLM baseline "the top retrieved
/// postmortem is the cause".
struct TriageEval: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "triage",
        abstract: "cause@1, runbook@1, evidence recall, forbidden proposals, citation validity, iterations and time to triage on scenarios.")
    @OptionGroup var index: IndexOptions
    @Argument(help: "A scenario file or a directory of them (examples/eval/triage).") var suite: String
    @Option(help: "Index this handbook directory first (what changed only).") var corpus: String?
    @Option(help: "Planners to run, comma-separated: builtin, llm (LLM_URL, LLM_MODEL, … as for the reasoner).")
    var planners = "builtin"
    @Option(help: "Runs per scenario (pass@k over them).") var `repeat` = 1
    @Option(help: "Actions catalog.") var catalog = "examples/actions/catalog.yaml"
    @Flag(help: "One JSON object instead of tables.") var json = false
    @Flag(help: "Each scenario's outcome.") var verbose = false

    func run() async throws {
        let scenarios = try Self.load(suite)
        let opened = try index.open()
        let store = opened.store
        try await store.migrate()
        if let corpus { try await EvalIndex.sync(URL(fileURLWithPath: corpus), opened) }
        guard try await !store.indexedDocuments().isEmpty else { throw ValidationError("the index is empty: pass --corpus examples/ops-handbook") }
        let catalog = try ActionCatalog.load(path: self.catalog)
        let retriever = RetrieverHandler(search: opened.search, topics: TopicSet(), logger: cliLogger())
        var results: [String: [(TriageScenario, [TriageTrajectory.Score])]] = [:]
        let names = planners.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
        for name in names {
            let planner = try Self.planner(name, catalog: catalog)
            for s in scenarios {
                var scores: [TriageTrajectory.Score] = []
                for k in 0..<max(1, self.repeat) {
                    let t = try await TriageRun.run(s, run: "\(name)-\(k)", retriever: retriever, planner: planner, catalog: catalog)
                    let score = t.score(s) { (try? catalog.action($0).risk) == .destructive }
                    scores.append(score)
                    if verbose && k == 0 { Self.describe(s, t, score) }
                }
                results[name, default: []].append((s, scores))
            }
        }
        let report = TriageReport(results: results, planners: names, scenarios: scenarios.count, repeats: max(1, self.repeat))
        if json { print(report.json()) } else { print(report.table()) }
    }

    static func planner(_ name: String, catalog: ActionCatalog) throws -> any TriagePlanner {
        switch name {
        case "builtin": return BuiltinPlanner(catalog: catalog)
        case "llm":
            let config = try LLMConfiguration(ConfigSource())
            return LLMPlanner(client: try ChatCompletionsClient(configuration: config, logger: cliLogger()), catalog: catalog,
                              logger: cliLogger())
        default: throw ValidationError("--planners: builtin or llm, not \(name)")
        }
    }

    static func load(_ path: String) throws -> [TriageScenario] {
        struct File: Decodable { var scenarios: [TriageScenario] }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw ValidationError("no \(path)") }
        let files = isDirectory.boolValue
            ? try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".yaml") }.sorted()
                .map { URL(fileURLWithPath: path).appendingPathComponent($0).path }
            : [path]
        var out: [TriageScenario] = []
        for f in files {
            guard let data = FileManager.default.contents(atPath: f) else { throw ValidationError("cannot read \(f)") }
            do { out += try YAMLDecoder().decode(File.self, from: String(decoding: data, as: UTF8.self)).scenarios } catch {
                throw ValidationError("\(f): \(error)")
            }
        }
        guard !out.isEmpty else { throw ValidationError("no scenarios in \(path)") }
        return out
    }

    static func describe(_ s: TriageScenario, _ t: TriageTrajectory, _ score: TriageTrajectory.Score) {
        let mark = { (ok: Bool) in ok ? "ok  " : "MISS" }
        print("\(mark(score.causeAt1)) \(s.name) [\(s.subset)]: cause \(t.cause ?? "none") (expected \(s.expect.cause ?? "none")); runbook \(t.runbook ?? "none"); \(score.iterations) step(s)\(score.forbidden > 0 ? ", \(score.forbidden) FORBIDDEN proposal(s)" : "")\(t.escalated ? ", escalated" : "")\(score.evidenceRecall.map { $0 < 1 ? String(format: "; evidence %.2f of %@", $0, (s.expect.evidence ?? []).joined(separator: ", ")) : "" } ?? "")\(t.unrecorded.isEmpty ? "" : "; unrecorded: \(t.unrecorded.joined(separator: ", "))")")
        // Why: the hypotheses as the test weighed them, for a cause it got wrong.
        guard !score.causeAt1, let triage = t.triage else { return }
        if let because = triage.chosenBecause { print("     because \(because)") }
        for h in triage.hypotheses ?? [] {
            print("     \(h.status.rawValue) \(h.score) \(h.cause)\(h.evidenceFor.isEmpty ? "" : ": " + h.evidenceFor.joined(separator: "; "))")
        }
    }
}
