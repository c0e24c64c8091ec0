import ArgumentParser
import Corpus
import DaemonRuntime
import Embedding
import Foundation
import OperatorCLI
import IncidentLog
import Kafka
import Postgres
import Retrieval
import Yams

/// `aiops bench retrieval`: search latency at 1k, 10k and 100k chunks and HNSW
/// recall@10 against exact search. The handbook's real chunks are embedded
/// once; larger sizes are synthetic copies with perturbed vectors, made inside
/// PostgreSQL. Runs in its own database (`aiops_bench_retrieval`, next to
/// `DATABASE_URL`'s), dropped when it is done.
struct RetrievalBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "retrieval",
                                                    abstract: "Search latency by index size and HNSW recall@10.")
    @OptionGroup var index: IndexOptions
    @Option(help: "Handbook to seed from.") var handbook = "examples/ops-handbook"
    @Option(help: "Queries (an eval suite's alerts).") var suite = "examples/eval/retrieval-suite.yaml"
    @Option(parsing: .upToNextOption, help: "Index sizes in chunks.") var sizes: [Int] = [1_000, 10_000, 100_000]
    @Option(help: "Searches per size.") var searches = 300

    /// Its database, next to `DATABASE_URL`'s.
    static let database = "aiops_bench_retrieval"

    func run() async throws {
        let benchURL = try await BenchDatabase.fresh(base: index.url, name: Self.database)
        // The encoders the environment configures (the second one too, when SECOND_EMBEDDINGS_URL is set).
        let encoders = try index.open(url: benchURL)
        let store = encoders.store
        try await store.migrate()
        let handler = EmbedderHandler(store: store, embeddings: encoders.embeddings, second: encoders.second, logger: cliLogger())
        print("aiops bench retrieval: seeding from \(handbook) into \(benchURL)")
        for f in try CorpusSync.scan(root: URL(fileURLWithPath: handbook)) {
            let (doc, _) = try CorpusDocument.parse(path: f.path, text: f.text)
            _ = try await handler.index(CorpusEvent(type: .upserted, documentID: doc.id, path: doc.path,
                                                    contentHash: doc.contentHash, content: f.text, syncedAt: Date(),
                                                    source: "bench"))
        }
        let real = try await store.counts().chunks
        let queries = try BenchDatabase.queries(suite: suite)
        let search = HybridSearch(store: store, embeddings: encoders.embeddings, second: encoders.second)
        let (vectors, seconds) = try await search.queryVectors(queries.map(\.text))
        print("\(real) real chunks, \(queries.count) queries, "
              + (encoders.second.map { "second encoder \($0.configuration.model)" } ?? "no second encoder"))

        for size in sizes.sorted() {
            let build = ContinuousClock.now
            try await store.withConnection { db in
                try await db.execute(script: "DROP INDEX IF EXISTS chunks_embedding_hnsw; SET maintenance_work_mem = '1GB';")
                try await BenchDatabase.grow(db, to: size)
                try await BenchDatabase.settle(db)
                try await db.execute(script: "CREATE INDEX chunks_embedding_hnsw ON chunks USING hnsw (embedding vector_cosine_ops)")
            }
            let buildSeconds = (ContinuousClock.now - build).seconds
            var searchOnly: [Double] = []
            for i in 0..<searches {
                var q = queries[i % queries.count]
                q.kinds = [i % 2 == 0 ? .postmortem : .runbook]
                q.limit = 5
                let s = ContinuousClock.now
                _ = try await search.search(q, queryVector: vectors[i % queries.count], secondVector: seconds?[i % queries.count])
                searchOnly.append((ContinuousClock.now - s).seconds * 1000)
            }
            var withEmbedding: [Double] = []
            for i in 0..<min(60, searches) {
                var q = queries[i % queries.count]
                q.kinds = [.postmortem]
                q.limit = 5
                let s = ContinuousClock.now
                _ = try await search.search(q)
                withEmbedding.append((ContinuousClock.now - s).seconds * 1000)
            }
            let n = try await store.counts().chunks
            print(String(format: "%7d chunks  search p50 %6.2f ms  p99 %6.2f ms | with query embedding p50 %6.2f ms  p99 %6.2f ms | index build %.1f s",
                         n, percentile(searchOnly, 0.5), percentile(searchOnly, 0.99),
                         percentile(withEmbedding, 0.5), percentile(withEmbedding, 0.99), buildSeconds))
        }
        // HNSW recall@10 against exact search, at the largest size.
        var recall = 0.0
        try await store.withConnection { db in
            for v in vectors {
                let lit = PGVector.literal(v)
                try await db.execute(script: "SET enable_indexscan = on; SET enable_seqscan = on;")
                let approx = Set(try await db.query("SELECT id FROM chunks ORDER BY embedding <=> $1::vector LIMIT 10", [lit]).rows.compactMap { $0[0] })
                try await db.execute(script: "SET enable_indexscan = off; SET enable_bitmapscan = off;")
                let exact = Set(try await db.query("SELECT id FROM chunks ORDER BY embedding <=> $1::vector LIMIT 10", [lit]).rows.compactMap { $0[0] })
                recall += Double(approx.intersection(exact).count) / Double(max(1, exact.count))
            }
            try await db.execute(script: "SET enable_indexscan = on; SET enable_bitmapscan = on;")
        }
        recall /= Double(vectors.count)
        print(String(format: "HNSW recall@10 vs exact at %d chunks: %.3f (ef_search 100, m 16, ef_construction 64)",
                     try await store.counts().chunks, recall))
        // Left behind, a 100k-chunk database would be vacuumed and analyzed by autovacuum later, on the
        // CPU of whatever is measured next (the triage bench measured p99 1-4 s right after this one).
        try await Databases.drop(Self.database, on: index.url)
    }
}

func percentile(_ xs: [Double], _ p: Double) -> Double {
    guard !xs.isEmpty else { return .nan }
    let s = xs.sorted()
    return s[min(s.count - 1, Int(Double(s.count) * p))]
}

enum BenchDatabase {
    /// Grows `chunks` to at least `size` rows with synthetic copies of the real
    /// chunks: same text, vector nudged by uniform noise and renormalized, made
    /// inside PostgreSQL. Copy g of a document is a document of its own
    /// (`<id>~g`, "(copy g)" in its title), so copies compete with the
    /// originals as near-duplicate documents would, instead of standing in for
    /// them under the same id: with the original's words (stemmed and as
    /// written) and title vectors, so full-text candidates and per-document
    /// term frequencies cost what they would in a handbook that size.
    static func grow(_ db: PostgresConnection, to size: Int) async throws {
        let current = Int(try await db.query("SELECT count(*) FROM chunks").rows[0][0] ?? "0") ?? 0
        guard size > current else { return }
        let real = max(1, Int(try await db.query("SELECT count(*) FROM chunks WHERE id NOT LIKE '%~%'").rows[0][0] ?? "1") ?? 1)
        let copies = String(size / real + 1)
        try await db.query("""
            INSERT INTO documents (id, path, kind, title, date, services, alerts, severity, incident_type, content_hash, synced_at,
                                   tsv, content_words, tsv_exact, alert_keys, title_text, title_embedding, title_model,
                                   title_text2, title_embedding2, title_model2)
            SELECT d.id || '~' || g, d.path, d.kind, d.title || ' (copy ' || g || ')', d.date, d.services, d.alerts,
                   d.severity, d.incident_type, d.content_hash, d.synced_at,
                   d.tsv, d.content_words, d.tsv_exact, d.alert_keys, d.title_text, d.title_embedding, d.title_model,
                   d.title_text2, d.title_embedding2, d.title_model2
            FROM (SELECT * FROM documents WHERE id NOT LIKE '%~%') d, generate_series(1, $1::int) g
            ON CONFLICT (id) DO NOTHING
            """, [copies])
        try await db.query("""
            INSERT INTO chunks (id, document_id, ordinal, heading_path, line_start, line_end, content,
                                content_hash, embedding, model, kind, services, alerts, embedding2, model2)
            SELECT c.id || '~' || g, c.document_id || '~' || g, c.ordinal, c.heading_path, c.line_start, c.line_end,
                   c.content, c.content_hash,
                   (SELECT l2_normalize(array_agg(x + (random() - 0.5) * 0.1)::vector)
                      FROM unnest(c.embedding::real[]) x),
                   c.model, c.kind, c.services, c.alerts,
                   (SELECT l2_normalize(array_agg(x + (random() - 0.5) * 0.1)::vector)
                      FROM unnest(c.embedding2::real[]) x),
                   c.model2
            FROM (SELECT * FROM chunks WHERE id NOT LIKE '%~%') c,
                 generate_series(1, $1::int) g
            WHERE NOT EXISTS (SELECT 1 FROM chunks x WHERE x.id = c.id || '~' || g)
            ORDER BY g, c.id
            LIMIT $2
            """, [copies, String(size - current)])
    }

    /// Removes every synthetic copy (and copies an older bench made under the originals' ids).
    static func shrink(_ db: PostgresConnection) async throws {
        try await db.query("DELETE FROM chunks WHERE id LIKE '%~%'")
        try await db.query("DELETE FROM documents WHERE id LIKE '%~%'")
    }

    /// Vacuums and analyzes what `grow` and `shrink` changed, so that autovacuum
    /// does not start on the bench's own inserts and deletes in the middle of a
    /// measurement, or of the next one: vacuuming an HNSW index after thousands
    /// of deletes costs seconds of CPU on this machine, and its dead graph nodes
    /// slow every search until then.
    static func settle(_ db: PostgresConnection) async throws {
        try await db.query("VACUUM (ANALYZE) chunks")
        try await db.query("VACUUM (ANALYZE) documents")
    }

    /// Drops and re-creates `name` next to the database of `base`; returns its URL.
    static func fresh(base: String, name: String) async throws -> String {
        try await Databases.drop(name, on: base)
        return try await Databases.create(name, on: base)
    }

    static func queries(suite: String) throws -> [SearchQuery] {
        struct Suite: Decodable { var cases: [RetrievalCase] }
        guard let data = FileManager.default.contents(atPath: suite) else { throw ValidationError("cannot read \(suite)") }
        return try YAMLDecoder().decode(Suite.self, from: String(decoding: data, as: UTF8.self)).cases.map {
            IncidentQuery.from(labels: $0.alert.labels, annotations: $0.alert.annotations ?? [:], title: nil,
                               service: $0.alert.labels["service"])
        }
    }
}
