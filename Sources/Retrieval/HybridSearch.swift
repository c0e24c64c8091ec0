import Corpus
import Foundation
import IncidentLog
import Logging
import Postgres

/// Hybrid retrieval: vector top-N and full-text top-N in one SQL round trip,
/// fused with Reciprocal Rank Fusion, plus boosts for the alert name in the
/// document's front matter and a shared service.
public struct HybridSearch: Sendable {
    public struct Tuning: Sendable {
        /// Candidates from each retriever.
        public var candidates = 40
        /// RRF constant k in 1/(k + rank).
        public var rrfK = 60.0
        public var alertBoost = 0.02
        public var serviceBoost = 0.008
        /// A chunk counts as a match only above this cosine similarity…
        public var minSimilarity = 0.85
        /// …or above this one when full-text search also found it (e5 scores
        /// unrelated text around 0.80–0.84: measured on the example handbook).
        public var minSimilarityWithTextMatch = 0.80
        /// Lexemes in more than this share of chunks (per ANALYZE) are left out of the full-text query.
        public var commonLexemeFrequency = 0.015
        public init() {}
    }

    public let store: IndexStore
    public let embeddings: EmbeddingsClient
    public var tuning = Tuning()

    public init(store: IndexStore, embeddings: EmbeddingsClient) {
        self.store = store
        self.embeddings = embeddings
    }

    /// Best chunks first (at most one per document).
    public func search(_ q: SearchQuery, mode: SearchMode = .hybrid) async throws -> [Citation] {
        let vector = try await embeddings.embed([q.text], as: .query)[0]
        return try await search(q, queryVector: vector, mode: mode)
    }

    public func search(_ q: SearchQuery, queryVector: [Float], mode: SearchMode = .hybrid) async throws -> [Citation] {
        let t = tuning
        let useVector = mode != .text
        let useText = mode != .vector
        // The query vector is a bound parameter (not a joined value) so the
        // HNSW index serves the ORDER BY. The full-text query is built from the
        // alert text's own lexemes (never tsquery syntax from the input),
        // leaving out lexemes that ANALYZE found in more than $10 of chunks:
        // OR-ing common words would make every chunk a match to rank.
        let sql = """
            WITH lexemes AS (
                SELECT u.lexeme FROM unnest(to_tsvector('english', $2)) u
                WHERE u.lexeme NOT IN (
                    SELECT e.elem FROM pg_stats s,
                        unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) AS e(elem, freq)
                    WHERE s.tablename = 'chunks' AND s.attname = 'tsv' AND e.elem IS NOT NULL AND e.freq > $10::float8)
                LIMIT 32),
            q AS (
                SELECT CASE WHEN count(*) = 0 THEN NULL
                            ELSE to_tsquery('simple', string_agg(quote_literal(lexeme), ' | ')) END AS t,
                       $3::text[] AS kinds
                FROM lexemes),
            vec AS (
                SELECT id, row_number() OVER (ORDER BY dist) AS r, 1 - dist AS sim FROM (
                    SELECT c.id, c.embedding <=> $1::vector AS dist FROM chunks c
                    WHERE $6::boolean AND ($3::text[] IS NULL OR c.kind = ANY($3::text[]))
                    ORDER BY c.embedding <=> $1::vector LIMIT $4) v),
            fts AS (
                SELECT id, row_number() OVER (ORDER BY rank DESC, id) AS r FROM (
                    SELECT c.id, ts_rank(c.tsv, q.t, 32) AS rank FROM chunks c, q
                    WHERE $7::boolean AND q.t IS NOT NULL AND c.tsv @@ q.t
                      AND (q.kinds IS NULL OR c.kind = ANY(q.kinds))
                    ORDER BY rank DESC LIMIT $4) f),
            fused AS (
                SELECT id, sum(1.0 / ($5::float8 + r)) AS rrf, max(sim) AS sim, min(vr) AS vr, min(tr) AS tr FROM (
                    SELECT id, r, sim, r AS vr, NULL::bigint AS tr FROM vec
                    UNION ALL
                    SELECT id, r, NULL::float8, NULL::bigint, r FROM fts) u
                GROUP BY id)
            SELECT c.id, c.document_id, d.title, d.path, c.kind, c.heading_path, c.line_start, c.line_end,
                   f.rrf, f.vr, f.tr,
                   coalesce(f.sim, 1 - (c.embedding <=> $1::vector)) AS sim,
                   ($8::text IS NOT NULL AND $8 = ANY(c.alerts)) AS alert_match,
                   (c.services && $9::text[]) AS service_match
            FROM fused f JOIN chunks c ON c.id = f.id JOIN documents d ON d.id = c.document_id
            """
        let kinds = q.kinds.map { pgArray($0.map(\.rawValue)) }
        let rows = try await store.withConnection { db in
            try await db.queryPrepared(sql, [PGVector.literal(queryVector), String(q.text.prefix(4_000)), kinds,
                                     String(q.candidates ?? t.candidates), String(t.rrfK), useVector ? "true" : "false",
                                     useText ? "true" : "false", q.alertName, pgArray(q.services),
                                     String(t.commonLexemeFrequency)])
        }
        var best: [String: Citation] = [:]
        for r in rows.rows {
            guard let id = r[0], let doc = r[1] else { continue }
            let sim = Double(r[11] ?? "") ?? 0
            var boosts: [String] = []
            var score = Double(r[8] ?? "0") ?? 0
            let textRank = r[10].flatMap { Int($0) }
            if r[12] == "t" { score += t.alertBoost; boosts.append("alert") }
            if r[13] == "t" { score += t.serviceBoost; boosts.append("service") }
            let relevant = sim >= t.minSimilarity || (textRank != nil && sim >= t.minSimilarityWithTextMatch)
                || (textRank != nil && boosts.contains("alert"))
            guard relevant else { continue }
            let c = Citation(documentID: doc, title: r[2] ?? "", path: r[3] ?? "", kind: r[4] ?? "", chunkID: id,
                             headingPath: r[5] ?? "", lineStart: Int(r[6] ?? "1") ?? 1, lineEnd: Int(r[7] ?? "1") ?? 1,
                             score: (score * 1_000_000).rounded() / 1_000_000, vectorRank: r[9].flatMap { Int($0) },
                             textRank: textRank, similarity: (sim * 10_000).rounded() / 10_000, boosts: boosts)
            if let existing = best[doc], existing.score >= c.score { continue }
            best[doc] = c
        }
        return best.values.sorted { $0.score != $1.score ? $0.score > $1.score : $0.chunkID < $1.chunkID }
            .prefix(q.limit).map { $0 }
    }

}
