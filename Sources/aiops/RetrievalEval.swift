import ArgumentParser
import Corpus
import DaemonRuntime
import Embedding
import Foundation
import IncidentLog
import OperatorCLI
import Retrieval
import Yams

/// `aiops eval retrieval SUITE`: how often the right runbook or past incident
/// comes first (recall@1), in the top 5 (recall@5), and its mean reciprocal
/// rank, per retrieval mode and per wording — next to two naive baselines run
/// on the same index in the same run: e5 over each document's first 2,000
/// characters, and BM25 over whole documents. `pipeline` is exactly what the
/// retriever appends to an incident (`RetrievalCompleted`, its relevance floor
/// included; the modes rank without it); cases with no expected document score
/// whether the pipeline says "nothing similar".
struct RetrievalEval: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retrieval",
        abstract: "recall@1, recall@5 and MRR per mode and wording, with whole-document baselines, on a suite.")
    @OptionGroup var index: IndexOptions
    @Argument(help: "Suite YAML (examples/eval/retrieval-suite.yaml, .eval/public/suite.yaml).") var suite: String
    @Option(help: "Index this handbook directory into DATABASE_URL first (what changed only; what is gone is removed).")
    var corpus: String?
    @Flag(help: "List the pipeline's misses.") var verbose = false
    @Flag(help: "Print one JSON object instead of tables.") var json = false
    @Flag(help: "Skip the whole-document baselines (faster while iterating).") var noBaselines = false
    @Option(help: "Candidates per retriever (default: the retriever's).") var candidates: Int?
    @Option(help: "Write every case's candidate documents and their signals here as JSON (to study or tune the scoring).")
    var dumpCandidates: String?

    func run() async throws {
        struct Suite: Decodable { var cases: [RetrievalCase] }
        guard let data = FileManager.default.contents(atPath: suite) else { throw ValidationError("cannot read \(suite)") }
        let cases = try YAMLDecoder().decode(Suite.self, from: String(decoding: data, as: UTF8.self)).cases
        let opened = try index.open()
        let (store, embeddings) = (opened.store, opened.embeddings)
        // An eval's own database (`--database-url …/aiops_eval`) is made on first use when there is a corpus to fill it.
        if corpus != nil, !(try await Databases.exists(store.url)) {
            _ = try await Databases.create(try Databases.name(of: store.url), on: store.url)
        }
        try await store.migrate()
        if let corpus { try await EvalIndex.sync(URL(fileURLWithPath: corpus), opened) }
        let documents = try await store.indexedDocuments()
        guard !documents.isEmpty else { throw ValidationError("the index is empty: run aiops corpus sync, or pass --corpus") }
        // A suite run against another handbook's index scores nothing but misses: say so instead.
        let expected = Set(cases.flatMap(\.expect))
        let absent = expected.subtracting(documents.map(\.id)).sorted()
        if !absent.isEmpty {
            let message = "\(absent.count) of the \(expected.count) expected documents are not in this index "
                + "(\(absent.prefix(3).joined(separator: ", "))\(absent.count > 3 ? ", …" : "")): pass --corpus with the suite's handbook, "
                + "or --database-url of the index built from it"
            if absent.count == expected.count { throw ValidationError(message) }
            FileHandle.standardError.write(Data("warning: \(message)\n".utf8))
        }
        var search = opened.search
        if let candidates { search.tuning.candidates = candidates }
        let retriever = RetrieverHandler(search: search, topics: TopicSet(), logger: cliLogger())
        let baselines = noBaselines ? nil : try await EvalBaselines(documents: documents, embeddings: embeddings)

        var scores: [EvalScore] = []
        var dump: [CandidateDump] = []
        for c in cases {
            let query = IncidentQuery.from(labels: c.alert.labels, annotations: c.alert.annotations ?? [:], title: nil,
                                           service: c.alert.labels["service"], generatorURL: c.generatorURL)
            let kinds: [DocumentKind] = c.set == "runbooks" ? [.runbook] : c.set == "postmortems" ? [.postmortem] : [.runbook, .postmortem]
            let vectors = try await search.queryVectors([query.text])
            let (vector, second) = (vectors.first[0], vectors.second?[0])
            var ranked: [String: [String]] = [:]
            for mode in SearchMode.allCases {
                var q = query
                q.kinds = kinds
                q.limit = 10
                ranked[mode.rawValue] = try await search.search(q, queryVector: vector, secondVector: second, mode: mode, floor: false).map(\.documentID)
            }
            if dumpCandidates != nil {
                var q = query
                q.kinds = kinds
                let signals = try await search.candidates(q, queryVector: vector, secondVector: second, mode: .hybrid)
                dump.append(CandidateDump(name: c.name, wording: c.wording, set: c.set, expect: c.expect, query: query.text,
                                          alertName: query.alertName, severity: query.severity,
                                          components: query.components, services: query.services, candidates: signals,
                                          headSimilarity: baselines?.similarities(vector, of: Set(signals.map(\.documentID))),
                                          bm25Document: baselines?.bm25Scores(query.text, of: Set(signals.map(\.documentID))),
                                          hybrid: ranked[SearchMode.hybrid.rawValue] ?? []))
            }
            let r = try await retriever.run(query)
            let pipeline = c.set == "runbooks" ? r.runbooks : c.set == "postmortems" ? r.postmortems : r.postmortems + r.runbooks
            ranked["pipeline"] = pipeline.map(\.documentID)
            if let baselines {
                ranked["e5-whole-doc"] = baselines.vector(vector, kinds: kinds)
                ranked["bm25-doc"] = baselines.bm25(query.text, kinds: kinds)
            }
            scores.append(EvalScore(case: c, ranked: ranked))
        }
        if let dumpCandidates {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try encoder.encode(dump).write(to: URL(fileURLWithPath: dumpCandidates))
        }
        let report = EvalReport(scores: scores, documents: documents.count)
        if json { print(report.json()) } else { report.print(verbose: verbose) }
    }
}

/// One case's candidates as the scoring sees them (`--dump-candidates`).
struct CandidateDump: Encodable {
    var name: String
    var wording: String
    var set: String?
    var expect: [String]
    var query: String
    var alertName: String?
    var severity: String?
    var components: [String]
    var services: [String]
    var candidates: [RetrievalScoring.Candidate]
    /// The e5-whole-doc baseline's cosine per candidate document (nil with --no-baselines): to study it as a signal.
    var headSimilarity: [String: Double]?
    /// The bm25-doc baseline's score per candidate document (nil with --no-baselines).
    var bm25Document: [String: Double]?
    /// The hybrid ranking as RetrievalScoring made it (top 10, floor off): what a re-scoring script must reproduce.
    var hybrid: [String]
}

/// Indexes a handbook directory straight into the index (no Kafka): the eval's own corpus.
enum EvalIndex {
    static func sync(_ root: URL, _ index: IndexOptions.Opened) async throws {
        let store = index.store
        let files = try CorpusSync.scan(root: root)
        let texts = Dictionary(files.map { ($0.path, $0.text) }, uniquingKeysWith: { first, _ in first })
        var snapshot = CorpusSnapshot()
        for d in try await store.indexedDocuments() {
            // Unchanged files that this build reads differently (chunks, title) are indexed again, so a figure is never
            // measured on what an older parser made of the handbook.
            if let text = texts[d.path], let doc = try? CorpusDocument.parse(path: d.path, text: text).0,
               !d.isReadAsIndexed(doc) { continue }
            snapshot.record(documentID: d.id, path: d.path, contentHash: d.contentHash)
        }
        let plan = CorpusSync.plan(files: files, snapshot: snapshot, source: root.path)
        for e in plan.errors { FileHandle.standardError.write(Data("error: \(e)\n".utf8)) }
        let embedder = EmbedderHandler(store: store, embeddings: index.embeddings, second: index.second, logger: cliLogger())
        var done = 0
        for batch in stride(from: 0, to: plan.events.count, by: 16).map({ Array(plan.events[$0..<min($0 + 16, plan.events.count)]) }) {
            _ = try await embedder.index(batch: batch)
            done += batch.count
            FileHandle.standardError.write(Data("\rindexing \(done)/\(plan.events.count)".utf8))
        }
        if !plan.events.isEmpty { FileHandle.standardError.write(Data("\n".utf8)) }
        try await embedder.backfillTitleEmbeddings()
        _ = try await embedder.backfillSecondEmbeddings()
        try await store.withConnection { db in _ = try await db.query("ANALYZE chunks") }
    }
}
