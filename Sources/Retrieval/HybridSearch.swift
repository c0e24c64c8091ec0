import Corpus
import Foundation
import IncidentLog
import Logging
import Postgres

/// Hybrid retrieval in one SQL round trip: candidate documents of each kind
/// from the vector index (best chunks), from full-text search over whole
/// documents, and the documents the alert's runbook link names; then, for
/// every candidate, its signals (best chunk similarity, title similarity, chunk
/// and document text rank, how many of the query's distinctive words it
/// holds). `RetrievalScoring` weighs them and says whether anything is similar
/// at all.
public struct HybridSearch: Sendable {
    public struct Tuning: Sendable {
        /// Candidates from each retriever (chunks by vector, documents by text), per kind.
        public var candidates = 40
        /// Lexemes in more than this share of chunks (per ANALYZE) are left out of the full-text query.
        public var commonLexemeFrequency = 0.015
        /// An absolute sanity floor under the relative one: below this best-chunk similarity (and with none of the
        /// query's distinctive words) nothing counts.
        public var minSimilarity = 0.78
        public var scoring = RetrievalScoring()
        public init() {}
    }

    public let store: IndexStore
    public let embeddings: EmbeddingsClient
    /// The second encoder (SecondEncoderConfiguration), when one is configured.
    public let second: EmbeddingsClient?
    public var tuning = Tuning()
    let statistics = LexemeStatistics.Cache()

    public init(store: IndexStore, embeddings: EmbeddingsClient, second: EmbeddingsClient? = nil) {
        self.store = store
        self.embeddings = embeddings
        self.second = second
    }

    /// The tuning's scoring as these encoders allow it: the floors' second-encoder cosines were measured with one
    /// model; another model's cosines have another scale, so with it (or none) those rules are dropped.
    public var scoring: RetrievalScoring {
        var s = tuning.scoring
        if second?.configuration.model != RetrievalScoring.Floor.secondSimilarityModel {
            for kind in s.floors.keys {
                s.floors[kind]?.minSecondSimilarity = nil
                s.floors[kind]?.sufficientSecondSimilarity = nil
            }
        }
        return s
    }

    /// Best documents first (one citation each: its best chunk); empty when nothing is similar.
    public func search(_ q: SearchQuery, mode: SearchMode = .hybrid) async throws -> [Citation] {
        let vectors = try await queryVectors([q.text])
        return try await search(q, queryVector: vectors.first[0], secondVector: vectors.second?[0], mode: mode)
    }

    /// The texts' query vectors from both encoders, one after the other (the second's nil without one): asked at
    /// once they share two cores three ways and e5's OpenMP threads wait on each other (docs/retrieval.md). The second
    /// encoder's failure throws, unless `orFirstAlone` takes it: then the second's vectors are nil (the retriever
    /// ranks with the first alone rather than hold every retrieval back; an eval must not).
    public func queryVectors(_ texts: [String], orFirstAlone: (@Sendable (Error) -> Void)? = nil) async throws
        -> (first: [[Float]], second: [[Float]]?) {
        guard !texts.isEmpty else { return ([], second == nil ? nil : []) }
        let first = try await embeddings.embed(texts, as: .query)
        guard let second else { return (first, nil) }
        do { return (first, try await second.embed(texts, as: .query)) } catch {
            guard let orFirstAlone else { throw error }
            orFirstAlone(error)
            return (first, nil)
        }
    }

    /// `floor: false` ranks whatever there is (evaluation of the ranking alone).
    public func search(_ q: SearchQuery, queryVector: [Float], secondVector: [Float]? = nil, mode: SearchMode = .hybrid,
                       floor: Bool = true) async throws -> [Citation] {
        let byKind = try await searchByKind(q, queryVector: queryVector, secondVector: secondVector, mode: mode)
        return Self.merged(byKind, floor: floor, limit: q.limit)
    }

    /// The kinds' lists as one, best score first (only the kinds found similar, unless `floor` is false). Each kind
    /// keeps its own order: a citation's score is rounded, and a document RetrievalScoring placed just below another
    /// (a special case, a hub) can show the same score.
    static func merged(_ byKind: [String: RetrievalScoring.Ranked], floor: Bool, limit: Int) -> [Citation] {
        var all: [(citation: Citation, rank: Int)] = []
        for ranked in byKind.values where ranked.similar || !floor {
            all += ranked.citations.enumerated().map { ($0.element, $0.offset) }
        }
        all.sort { a, b in
            if a.citation.score != b.citation.score { return a.citation.score > b.citation.score }
            return a.citation.kind != b.citation.kind ? a.citation.kind < b.citation.kind : a.rank < b.rank
        }
        return Array(all.prefix(limit).map(\.citation))
    }

    /// Ranked candidates per document kind, each with the floor's verdict.
    public func searchByKind(_ q: SearchQuery, queryVector: [Float], secondVector: [Float]? = nil, mode: SearchMode = .hybrid)
        async throws -> [String: RetrievalScoring.Ranked] {
        let candidates = try await candidates(q, queryVector: queryVector, secondVector: secondVector, mode: mode)
        var out: [String: RetrievalScoring.Ranked] = [:]
        let scoring = scoring
        for (kind, list) in Dictionary(grouping: candidates, by: \.kind) {
            var ranked = scoring.rank(list, query: q, mode: mode)
            if let best = list.map(\.chunkSimilarity).max(), best < tuning.minSimilarity, ranked.coverage == 0 {
                ranked.similar = false
            }
            out[kind] = ranked
        }
        return out
    }

    /// The candidate documents and their signals.
    public func candidates(_ q: SearchQuery, queryVector: [Float], secondVector: [Float]? = nil, mode: SearchMode) async throws
        -> [RetrievalScoring.Candidate] {
        // The query vector is a bound parameter (not a joined value) so the HNSW index serves the ORDER BY.
        // The full-text query that finds candidates is built from the alert text's own lexemes (never tsquery
        // syntax from the input), leaving out lexemes that ANALYZE found in more than $5 of chunks: OR-ing common
        // words would make every chunk a match, and so are the words English's stop list drops (`content`: they
        // count in a story's BM25, never in which documents are candidates). Every lexeme counts in a story's BM25,
        // the ones the stop list keeps in a runbook's (idf weighs them).
        let sql = """
            WITH content AS (
                SELECT DISTINCT u.lexeme FROM unnest(to_tsvector('english', $2)) u WHERE length(u.lexeme) > 1 LIMIT 64),
            -- the kept words first, so a long description's stop words never crowd them out of the limit
            lexemes AS (
                SELECT lexeme FROM content
                UNION ALL
                (SELECT DISTINCT u.lexeme FROM unnest(to_tsvector('\(IndexStore.textSearch)', $2)) u
                 WHERE length(u.lexeme) > 1 AND u.lexeme NOT IN (SELECT lexeme FROM content) LIMIT 32)),
            rare AS (
                SELECT c.lexeme FROM content c WHERE c.lexeme NOT IN (
                    SELECT e.elem FROM pg_stats s,
                        unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) AS e(elem, freq)
                    WHERE s.tablename = 'chunks' AND s.attname = 'tsv' AND e.elem IS NOT NULL AND e.freq > $5::float8)
                LIMIT 32),
            q AS (
                SELECT CASE WHEN count(*) = 0 THEN NULL
                            ELSE to_tsquery('simple', string_agg(quote_literal(lexeme), ' | ')) END AS t
                FROM rare),
            kinds AS (SELECT unnest(coalesce($3::text[], ARRAY['runbook', 'postmortem', 'adr', 'weekly-log', 'other'])) AS kind),
            vec AS (
                SELECT v.document_id FROM kinds k, LATERAL (
                    SELECT c.document_id FROM chunks c WHERE $6::boolean AND c.kind = k.kind AND NOT c.opening
                    ORDER BY c.embedding <=> $1::vector LIMIT $4) v),
            dfts AS (
                SELECT f.document_id FROM kinds k, q, LATERAL (
                    SELECT d.id AS document_id FROM documents d
                    WHERE $7::boolean AND q.t IS NOT NULL AND d.tsv @@ q.t AND d.kind = k.kind
                    ORDER BY ts_rank(d.tsv, q.t, 1) DESC LIMIT $4) f),
            -- Full-text candidates come from whole documents: ranking matching chunks as well cost two thirds of
            -- the search at 100k chunks and found no document the other two lists missed (docs/retrieval.md).
            -- The documents the alert's runbook link names (by file name, or folder name for a README), and those
            -- named after the alert (file name or title) or holding a section for it (alert_keys), whatever their
            -- similarity; RunbookLink decides which of them a link really means, the alert-name boost ranks the named ones.
            -- And the documents whose every name word the alert uses (LexemeStatistics.named), by id.
            linked AS (
                SELECT d.id AS document_id FROM documents d
                WHERE (d.name_key = ANY($8::text[]) OR ($9 <> '' AND (d.title_key = $9 OR d.alert_keys @> ARRAY[$9]::text[]))
                       OR d.id = ANY($12::text[]))
                      AND d.kind IN (SELECT kind FROM kinds)
                LIMIT 24),
            cand AS (SELECT document_id FROM vec UNION SELECT document_id FROM dfts UNION SELECT document_id FROM linked),
            -- Every chunk of the candidates with both encoders' cosines, computed once for the best passages and the pages
            -- (the second's only where the chunk has its vector from this model: a few hundred chunks at most, no index).
            scored AS (
                SELECT c.document_id, c.id, c.heading_path, c.line_start, c.line_end, c.whole_page, c.opening,
                       1 - (c.embedding <=> $1::vector) AS sim,
                       CASE WHEN $10::vector IS NOT NULL AND c.model2 = $11 AND vector_dims(c.embedding2) = vector_dims($10::vector)
                            THEN 1 - (c.embedding2 <=> $10::vector) END AS sim2
                FROM chunks c JOIN cand USING (document_id)),
            best AS (
                SELECT DISTINCT ON (document_id) document_id, id, heading_path, line_start, line_end, sim
                FROM scored WHERE NOT opening ORDER BY document_id, sim DESC),
            -- The page read whole, by each encoder: its whole-page chunk (a short page's text, a longer page's opening),
            -- or its one section when that is all it has; and the second encoder's best passage.
            page AS (
                SELECT document_id, coalesce(max(sim) FILTER (WHERE whole_page), CASE WHEN count(*) = 1 THEN max(sim) END) AS sim,
                       max(sim2) FILTER (WHERE NOT opening) AS sim2,
                       coalesce(max(sim2) FILTER (WHERE whole_page), CASE WHEN count(sim2) = 1 THEN max(sim2) END) AS page2
                FROM scored GROUP BY document_id),
            -- term frequencies of the query's lexemes, per candidate document and per matching section (BM25 in Swift;
            -- a short page's whole-page chunk is found by meaning only: its words are the document's). The lexemes are
            -- one array (computed once) tested per unnested row: as a join, the planner unnested every document once
            -- per query lexeme (a quarter of the search at 100k chunks).
            lexemeArray AS (SELECT coalesce(array_agg(lexeme), '{}') AS a FROM lexemes),
            -- a past incident's words as written (RetrievalScoring.Weights.exactDocumentText), the same way
            exactArray AS (
                SELECT coalesce(array_agg(x.lexeme), '{}') AS a FROM (
                    SELECT DISTINCT u.lexeme FROM unnest(to_tsvector('simple', $2)) u WHERE length(u.lexeme) > 1 LIMIT 96) x),
            etf AS (
                SELECT d.id AS document_id, length(d.tsv_exact) AS len, json_object_agg(u.lexeme, cardinality(u.positions)) AS tf
                FROM documents d JOIN cand ON cand.document_id = d.id, exactArray ea, unnest(d.tsv_exact) u
                WHERE d.kind = 'postmortem' AND u.lexeme = ANY (ea.a) GROUP BY d.id),
            dtf AS (
                SELECT d.id AS document_id, coalesce(d.content_words, length(d.tsv)) AS len, json_object_agg(u.lexeme, cardinality(u.positions)) AS tf
                FROM documents d JOIN cand ON cand.document_id = d.id, lexemeArray la, unnest(d.tsv) u
                WHERE u.lexeme = ANY (la.a) GROUP BY d.id, d.content_words),
            ctf AS (
                SELECT x.document_id, json_agg(json_build_array(x.len, x.tf)) AS chunks FROM (
                    SELECT c.document_id, coalesce(c.content_words, length(c.tsv)) AS len, json_object_agg(u.lexeme, cardinality(u.positions)) AS tf
                    FROM chunks c JOIN cand USING (document_id), q, lexemeArray la, unnest(c.tsv) u
                    WHERE q.t IS NOT NULL AND NOT c.whole_page AND c.tsv @@ q.t AND u.lexeme = ANY (la.a)
                    GROUP BY c.document_id, c.id) x
                GROUP BY x.document_id)
            SELECT d.id, d.title, d.path, d.kind, b.id, b.heading_path, b.line_start, b.line_end, b.sim,
                   coalesce(dtf.len, d.content_words, length(d.tsv), 0), dtf.tf, ctf.chunks,
                   CASE WHEN d.title_embedding IS NULL THEN NULL ELSE 1 - (d.title_embedding <=> $1::vector) END,
                   (SELECT json_agg(lexeme) FROM lexemes), d.alerts, d.services, p.sim2,
                   CASE WHEN $10::vector IS NULL OR d.title_embedding2 IS NULL OR d.title_model2 IS DISTINCT FROM $11
                             OR d.title_text2 IS DISTINCT FROM d.title_text OR vector_dims(d.title_embedding2) <> vector_dims($10::vector)
                        THEN NULL ELSE 1 - (d.title_embedding2 <=> $10::vector) END,
                   p.sim, p.page2,
                   (SELECT json_agg(lexeme) FROM content),
                   CASE WHEN d.kind = 'postmortem' AND d.tsv_exact IS NOT NULL THEN coalesce(etf.tf, '{}') END,
                   coalesce(etf.len, length(d.tsv_exact)), (SELECT to_json(a) FROM exactArray),
                   -- whether the document's words as written hold a word beginning with one of the alert's subjects
                   -- (RetrievalScoring.Floor.subjectAmong; each is letters and digits only, quoted as a literal)
                   CASE WHEN cardinality($13::text[]) > 0 AND d.tsv_exact IS NOT NULL THEN EXISTS (
                       SELECT 1 FROM unnest($13::text[]) s WHERE d.tsv_exact @@ to_tsquery('simple', quote_literal(s) || ':*')) END
            FROM cand JOIN documents d ON d.id = cand.document_id JOIN best b ON b.document_id = d.id
                 LEFT JOIN dtf ON dtf.document_id = d.id LEFT JOIN ctf ON ctf.document_id = d.id
                 LEFT JOIN etf ON etf.document_id = d.id
                 LEFT JOIN page p ON p.document_id = d.id
            """
        let kinds = q.kinds.map { pgArray($0.map(\.rawValue)) }
        let nameKey = q.alertName.map(DocumentName.key) ?? ""
        let stats = try await lexemeStatistics()
        let named = mode == .vector ? [] : stats.named(by: Set(DocumentName.words(q.text)))
        // `windows` → `window`, so "Windows" and "window" both count; only ASCII letters and digits reach the tsquery.
        let subjectPrefixes = q.subjects.map { DocumentName.stem($0.lowercased()) }
            .filter { !$0.isEmpty && DocumentName.key($0) == $0 }
        let rows = try await store.withConnection { db in
            try await db.queryPrepared(sql, [PGVector.literal(queryVector), String(q.text.prefix(4_000)), kinds,
                                             String(q.candidates ?? tuning.candidates), String(tuning.commonLexemeFrequency),
                                             mode != .text ? "true" : "false", mode != .vector ? "true" : "false",
                                             pgArray(Array(Set(q.links.flatMap(\.keys) + [nameKey]).subtracting([""])).sorted()),
                                             nameKey, secondVector.map(PGVector.literal), second?.configuration.model ?? "",
                                             pgArray(named), pgArray(subjectPrefixes)])
        }
        // One decoder for every row, and the query's lexemes (the same on every row) decoded once.
        let decoder = JSONDecoder()
        func lexemeList(_ column: Int) -> [String] {
            (rows.rows.first?[column].flatMap { try? decoder.decode([String].self, from: Data($0.utf8)) }) ?? []
        }
        let lexemes = lexemeList(13)
        // Coverage (the floor's evidence by words) counts the words English's stop list keeps (`content`): `down` or
        // `not` says which story is closer, not whether any is close, and in a small handbook `will` or `by`, found
        // nowhere, would count as the alert's distinctive words no document has.
        let coverageLexemes = lexemeList(20)
        let exactWords = lexemeList(23)
        return rows.rows.compactMap { r in
            guard let id = r[0], let chunk = r[4] else { return nil }
            let docTF = (r[10].flatMap { try? decoder.decode([String: Int].self, from: Data($0.utf8)) }) ?? [:]
            let chunkTFs = (r[11].flatMap { try? decoder.decode([ChunkTF].self, from: Data($0.utf8)) }) ?? []
            let docLength = Double(r[9] ?? "0") ?? 0
            let words = r[3] == DocumentKind.postmortem.rawValue ? lexemes : coverageLexemes
            var candidate = RetrievalScoring.Candidate(
                documentID: id, title: r[1] ?? "", path: r[2] ?? "", kind: r[3] ?? "", chunkID: chunk, headingPath: r[5] ?? "",
                lineStart: Int(r[6] ?? "1") ?? 1, lineEnd: Int(r[7] ?? "1") ?? 1, chunkSimilarity: Double(r[8] ?? "0") ?? 0,
                titleSimilarity: r[12].flatMap(Double.init),
                chunkText: chunkTFs.map { stats.bm25($0.tf, length: $0.length, average: stats.averageChunkLength, words) }.max() ?? 0,
                documentText: stats.bm25(docTF, length: docLength, average: stats.averageDocumentLength, words),
                coverage: stats.coverage(docTF, coverageLexemes), alerts: pgArrayValues(r[14]), services: pgArrayValues(r[15]))
            candidate.length = docLength
            candidate.secondChunkSimilarity = r[16].flatMap(Double.init)
            candidate.secondTitleSimilarity = r[17].flatMap(Double.init)
            candidate.pageSimilarity = r[18].flatMap(Double.init)
            if let mentions = r[24] {
                // A folder named for it counts too (`runbooks/rabbitmq/queue-full.md`).
                candidate.mentionsSubject = mentions == "t"
                    || DocumentName.words(candidate.path).contains { word in subjectPrefixes.contains { word.hasPrefix($0) } }
            }
            candidate.secondPageSimilarity = r[19].flatMap(Double.init)
            if let exactTF = r[21].flatMap({ try? decoder.decode([String: Int].self, from: Data($0.utf8)) }) {
                candidate.exactDocumentText = stats.bm25(exactTF, length: Double(r[22] ?? "0") ?? 0, average: stats.exact.averageLength,
                                                         exactWords, vocabulary: stats.exact)
            }
            return candidate
        }
    }

    /// `[length, {lexeme: tf}]` of one chunk.
    struct ChunkTF: Decodable {
        var length: Double
        var tf: [String: Int]
        init(from decoder: Decoder) throws {
            var c = try decoder.unkeyedContainer()
            length = try c.decode(Double.self)
            tf = try c.decode([String: Int].self)
        }
    }

    /// Document frequencies of lexemes and average lengths, refreshed about once a minute in the background
    /// (`LexemeStatistics.Cache`).
    func lexemeStatistics() async throws -> LexemeStatistics {
        switch statistics.lookup() {
        case .fresh(let cached):
            return cached
        case .stale(let cached):
            if statistics.claimRefresh() {
                let (store, cache) = (store, statistics)
                Task {
                    do { cache.store(try await store.lexemeStatistics()) } catch {
                        cache.refreshFailed()
                        store.logger.warning("word statistics not refreshed; retrieval keeps the last ones",
                                             metadata: ["error": "\(error)"])
                    }
                }
            }
            return cached
        case .missing:
            let fresh = try await store.lexemeStatistics()
            statistics.store(fresh)
            return fresh
        }
    }
}

/// The elements of a PostgreSQL text[] literal as libpq returns it: `{a,"b c"}`.
func pgArrayValues(_ raw: String?) -> [String] {
    guard var s = raw, s.hasPrefix("{"), s.hasSuffix("}") else { return [] }
    s.removeFirst(); s.removeLast()
    guard !s.isEmpty else { return [] }
    var out: [String] = []
    var current = ""
    var quoted = false
    var escaped = false
    for ch in s {
        if escaped { current.append(ch); escaped = false; continue }
        switch ch {
        case "\\": escaped = true
        case "\"": quoted.toggle()
        case "," where !quoted: out.append(current); current = ""
        default: current.append(ch)
        }
    }
    out.append(current)
    return out
}
