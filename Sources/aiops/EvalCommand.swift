import ArgumentParser
import Corpus
import Foundation
import OperatorCLI
import IncidentLog
import Retrieval
import Yams

struct Eval: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Score the system against labelled suites.",
                                                    subcommands: [RetrievalEval.self])
}

struct RetrievalEval: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retrieval",
        abstract: "recall@1, recall@5 and MRR of vector-only, full-text-only and hybrid retrieval on a suite.")
    @OptionGroup var index: IndexOptions
    @Argument(help: "Suite YAML (examples/eval/retrieval-suite.yaml).") var suite: String
    @Flag(help: "List the cases hybrid retrieval misses at 5.") var verbose = false

    func run() async throws {
        struct Suite: Decodable { var cases: [RetrievalCase] }
        guard let data = FileManager.default.contents(atPath: suite) else { throw ValidationError("cannot read \(suite)") }
        let cases = try YAMLDecoder().decode(Suite.self, from: String(decoding: data, as: UTF8.self)).cases
        let (store, embeddings) = try index.store()
        let search = HybridSearch(store: store, embeddings: embeddings)
        let counts = try await store.counts()
        guard counts.chunks > 0 else { throw ValidationError("the index is empty: run aiops corpus sync first") }
        Terminal.say("suite \(suite): \(cases.count) cases (\(cases.filter { $0.wording == "unlike" }.count) worded unlike their target), index \(counts.documents) documents / \(counts.chunks) chunks")

        // rank of the first correct document (1-based) per case and mode
        var ranks: [SearchMode: [Int?]] = [:]
        var misses: [String] = []
        for c in cases {
            var q = IncidentQuery.from(labels: c.alert.labels, annotations: c.alert.annotations ?? [:], title: nil,
                                       service: c.alert.labels["service"])
            q.kinds = [.postmortem, .runbook]
            q.limit = 10
            let vector = try await embeddings.embed([q.text], as: .query)[0]
            for mode in SearchMode.allCases {
                let results = try await search.search(q, queryVector: vector, mode: mode)
                let rank = results.firstIndex { c.expect.contains($0.documentID) }.map { $0 + 1 }
                ranks[mode, default: []].append(rank)
                if mode == .hybrid, rank == nil || rank! > 5 {
                    misses.append("  \(c.name) [\(c.wording)]: expected \(c.expect[0]); got \(results.prefix(3).map(\.documentID))")
                }
            }
        }
        func metrics(_ r: [Int?]) -> (Double, Double, Double) {
            let n = Double(r.count)
            let at1 = Double(r.filter { $0 == 1 }.count) / n
            let at5 = Double(r.filter { ($0 ?? 99) <= 5 }.count) / n
            let mrr = r.reduce(0.0) { $0 + ($1.map { 1.0 / Double($0) } ?? 0) } / n
            return (at1, at5, mrr)
        }
        Terminal.say("mode      recall@1  recall@5  MRR     | unlike: recall@1  recall@5")
        for mode in [SearchMode.vector, .text, .hybrid] {
            let all = ranks[mode] ?? []
            let unlike = zip(cases, all).filter { $0.0.wording == "unlike" }.map(\.1)
            let (a1, a5, mrr) = metrics(all)
            let (u1, u5, _) = metrics(unlike)
            Terminal.say(mode.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0) + String(format: "  %.3f     %.3f     %.3f   |         %.3f     %.3f", a1, a5, mrr, u1, u5))
        }
        let (h1, h5, _) = metrics(ranks[.hybrid] ?? [])
        Terminal.say(String(format: "targets (hybrid): recall@5 >= 0.9 [%@], recall@1 >= 0.7 [%@]",
                     h5 >= 0.9 ? "met" : "NOT met", h1 >= 0.7 ? "met" : "NOT met"))
        if verbose && !misses.isEmpty { Terminal.say("hybrid misses at 5:\n" + misses.joined(separator: "\n")) }
    }
}
