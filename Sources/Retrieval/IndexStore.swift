import Corpus
import IncidentLog
import Foundation
import Logging
import Postgres

/// The corpus index in PostgreSQL + pgvector: documents, chunks with their
/// embedding (HNSW, cosine) and a generated `tsvector` (GIN). Each caller
/// leases a connection of its own (a small pool): a transaction never
/// interleaves with another caller's query, and searches run side by side.
/// A connection that failed underneath is dropped and a new one made; connection
/// errors surface as `PostgresError(.connection)`.
public actor IndexStore {
    public let url: String
    public let dimensions: Int
    /// Connections at most; callers beyond wait for one to come back.
    public let maxConnections: Int
    nonisolated let logger: Logger
    private var idle: [PostgresConnection] = []
    private var open = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    public init(url: String, dimensions: Int, maxConnections: Int = 4, logger: Logger) {
        self.url = url
        self.dimensions = dimensions
        self.maxConnections = max(1, maxConnections)
        self.logger = logger
    }

    /// Runs `body` on a connection leased to it alone, reconnecting first if needed and
    /// dropping the connection if it failed underneath.
    public func withConnection<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        let conn = try await lease()
        do {
            let result = try await body(conn)
            giveBack(conn)
            return result
        } catch let error as PostgresError where error.code == .connection {
            drop()
            throw error
        } catch {
            // `transaction` has rolled back; anything else left the connection as it was.
            giveBack(conn)
            throw error
        }
    }

    private func lease() async throws -> PostgresConnection {
        while true {
            if let c = idle.popLast() { return c }
            if open < maxConnections {
                open += 1
                do {
                    let conn = try await PostgresConnection.connect(url, logger: logger)
                    // Filtered vector searches keep scanning the HNSW graph until they have enough rows.
                    try await conn.execute(script: "SET hnsw.ef_search = 100; SET hnsw.iterative_scan = relaxed_order;")
                    return conn
                } catch {
                    drop()
                    throw error
                }
            }
            await withCheckedContinuation { waiting.append($0) }
        }
    }

    private func giveBack(_ conn: PostgresConnection) {
        idle.append(conn)
        wakeOne()
    }

    private func drop() {
        open -= 1
        wakeOne()
    }

    private func wakeOne() {
        if !waiting.isEmpty { waiting.removeFirst().resume() }
    }

    // MARK: Migrations

    /// The text search configuration every tsvector and the query's lexemes use: English stemming, no stop list
    /// (migration 10 says why).
    static let textSearch = "aiops_english"

    /// Versioned migrations, applied in order at start-up under an advisory lock.
    static func migrations(dimensions: Int) -> [(Int, String)] {
        [
            (1, """
            CREATE EXTENSION IF NOT EXISTS vector;
            CREATE TABLE documents (
                id            text PRIMARY KEY,
                path          text NOT NULL,
                kind          text NOT NULL,
                title         text NOT NULL,
                date          text,
                services      text[] NOT NULL DEFAULT '{}',
                alerts        text[] NOT NULL DEFAULT '{}',
                severity      text,
                incident_type text,
                content_hash  text NOT NULL,
                synced_at     timestamptz,
                indexed_at    timestamptz NOT NULL DEFAULT now()
            );
            CREATE TABLE chunks (
                id            text PRIMARY KEY,
                document_id   text NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
                ordinal       int NOT NULL,
                heading_path  text NOT NULL,
                line_start    int NOT NULL,
                line_end      int NOT NULL,
                content       text NOT NULL,
                content_hash  text NOT NULL,
                embedding     vector(\(dimensions)) NOT NULL,
                model         text NOT NULL,
                kind          text NOT NULL,
                services      text[] NOT NULL DEFAULT '{}',
                alerts        text[] NOT NULL DEFAULT '{}',
                tsv           tsvector GENERATED ALWAYS AS (
                                  setweight(to_tsvector('english', heading_path), 'A') ||
                                  setweight(to_tsvector('english', content), 'B')) STORED
            );
            CREATE INDEX chunks_embedding_hnsw ON chunks USING hnsw (embedding vector_cosine_ops);
            CREATE INDEX chunks_tsv_gin ON chunks USING gin (tsv);
            CREATE INDEX chunks_document ON chunks (document_id);
            CREATE INDEX chunks_kind ON chunks (kind);
            """),
            // Document-level signals for retrieval: a tsvector over the whole document (title weighted A), and
            // an embedding of its title (and file name); existing documents get their tsvector from their chunks,
            // their title embedding from the embedder at its next start.
            (2, """
            ALTER TABLE documents ADD COLUMN tsv tsvector;
            ALTER TABLE documents ADD COLUMN title_embedding vector(\(dimensions));
            ALTER TABLE documents ADD COLUMN title_text text;
            UPDATE documents d SET tsv = setweight(to_tsvector('english', d.title), 'A') ||
                setweight(to_tsvector('english', coalesce((SELECT string_agg(c.content, ' ' ORDER BY c.ordinal)
                                                           FROM chunks c WHERE c.document_id = d.id), '')), 'B');
            CREATE INDEX documents_tsv_gin ON documents USING gin (tsv);
            CREATE INDEX documents_kind ON documents (kind);
            """),
            // The name an alert's runbook link is matched by (RunbookLink): the file name, or the folder's for a
            // README/index page, as lowercase letters and digits; indexed, so a link costs one index lookup.
            (3, """
            ALTER TABLE documents ADD COLUMN name_key text GENERATED ALWAYS AS (
                regexp_replace(lower(substring(regexp_replace(path,
                    '(/(readme|index|_index))?\\.(md|markdown|html|htm|adoc|asciidoc|rst|txt)$', '', 'i')
                    from '[^/]*$')), '[^a-z0-9]', '', 'g')) STORED;
            CREATE INDEX documents_name_key ON documents (name_key);
            """),
            // The title as names are compared (DocumentName.key): a runbook whose H1 is the alert's name is a
            // candidate for that alert whatever else matched.
            (4, """
            ALTER TABLE documents ADD COLUMN title_key text GENERATED ALWAYS AS (regexp_replace(lower(title), '[^a-z0-9]', '', 'g')) STORED;
            CREATE INDEX documents_title_key ON documents (title_key);
            """),
            // The second encoder's vectors (SecondEncoderConfiguration): compared only with the candidates the
            // first encoder and full-text search found, so no index, and no fixed width (the column holds whatever
            // the configured second model gives). NULL until embedded (the embedder backfills in the background).
            (5, """
            ALTER TABLE chunks ADD COLUMN embedding2 vector;
            ALTER TABLE chunks ADD COLUMN model2 text;
            ALTER TABLE documents ADD COLUMN title_embedding2 vector;
            ALTER TABLE documents ADD COLUMN title_text2 text;
            ALTER TABLE documents ADD COLUMN title_model2 text;
            """),
            // The model of the first encoder's title vector, as chunks have theirs: a title is reused or kept only
            // for the model that embedded it. Existing titles were embedded with their chunks' model.
            (6, """
            ALTER TABLE documents ADD COLUMN title_model text;
            UPDATE documents d SET title_model = (SELECT c.model FROM chunks c WHERE c.document_id = d.id ORDER BY c.ordinal LIMIT 1)
                WHERE title_embedding IS NOT NULL;
            """),
            // A short page's whole text as a chunk of its own (Chunk.isWholePage): found by meaning, but not one of
            // the document's sections. Existing documents get theirs when the embedder next indexes them.
            (7, """
            ALTER TABLE chunks ADD COLUMN whole_page boolean NOT NULL DEFAULT false;
            """),
            // A longer page's opening (Chunk.isOpening, also whole_page): the page-level signal only, never a passage.
            // Existing documents get theirs when the embedder next indexes them. And a reading of the whole page has
            // no words of its own (NULL tsv): they are its sections' words again, and counted twice they skewed which
            // lexemes ANALYZE finds common (the full-text query leaves those out).
            (8, """
            ALTER TABLE chunks ADD COLUMN opening boolean NOT NULL DEFAULT false;
            ALTER TABLE chunks DROP COLUMN tsv;
            ALTER TABLE chunks ADD COLUMN tsv tsvector GENERATED ALWAYS AS (CASE WHEN whole_page THEN NULL ELSE
                setweight(to_tsvector('english', heading_path), 'A') || setweight(to_tsvector('english', content), 'B') END) STORED;
            CREATE INDEX chunks_tsv_gin ON chunks USING gin (tsv);
            ANALYZE chunks;
            """),
            // The alerts a document is for (front matter, or its sections' headings: CorpusDocument.sectionAlerts) as
            // names are compared (DocumentName.key), indexed: a playbook holding a section for the alert is a candidate
            // for it, as a page named after it is. Filled on every (re)index; here, the documents indexed before.
            (9, """
            ALTER TABLE documents ADD COLUMN alert_keys text[] NOT NULL DEFAULT '{}';
            UPDATE documents SET alert_keys = ARRAY(SELECT DISTINCT regexp_replace(lower(a), '[^a-z0-9]', '', 'g') FROM unnest(alerts) a);
            CREATE INDEX documents_alert_keys ON documents USING gin (alert_keys);
            """),
            // Words are read with English stemming but without PostgreSQL's English stop list (`aiops_english`,
            // IndexStore.textSearch): the list drops `down`, `up`, `not`, `no`, `off`, `out`, `over`, `again` — what an
            // alert or an outage story is about ("site down", "not ready", "out of memory"). Common words cost nothing
            // left in: their idf is near zero, and the full-text candidate query leaves out what ANALYZE finds common.
            // Every tsvector is recomputed here. A document's length stays what BM25 and the short-page measure were
            // calibrated with: its distinct words under the stop list (`content_words`), a section's too.
            (10, """
            CREATE TEXT SEARCH DICTIONARY \(textSearch)_stem (TEMPLATE = snowball, Language = english);
            CREATE TEXT SEARCH CONFIGURATION \(textSearch) (COPY = pg_catalog.english);
            ALTER TEXT SEARCH CONFIGURATION \(textSearch) ALTER MAPPING REPLACE english_stem WITH \(textSearch)_stem;
            ALTER TABLE chunks DROP COLUMN tsv;
            ALTER TABLE chunks ADD COLUMN tsv tsvector GENERATED ALWAYS AS (CASE WHEN whole_page THEN NULL ELSE
                setweight(to_tsvector('\(textSearch)', heading_path), 'A') || setweight(to_tsvector('\(textSearch)', content), 'B') END) STORED;
            CREATE INDEX chunks_tsv_gin ON chunks USING gin (tsv);
            UPDATE documents d SET tsv = setweight(to_tsvector('\(textSearch)', d.title), 'A') ||
                setweight(to_tsvector('\(textSearch)', coalesce((SELECT string_agg(c.content, ' ' ORDER BY c.ordinal)
                                                                 FROM chunks c WHERE c.document_id = d.id AND NOT c.whole_page), '')), 'B');
            ALTER TABLE chunks ADD COLUMN content_words int GENERATED ALWAYS AS (CASE WHEN whole_page THEN NULL ELSE
                length(to_tsvector('english', heading_path) || to_tsvector('english', content)) END) STORED;
            ALTER TABLE documents ADD COLUMN content_words int;
            UPDATE documents d SET content_words = length(to_tsvector('english', d.title) ||
                to_tsvector('english', coalesce((SELECT string_agg(c.content, ' ' ORDER BY c.ordinal)
                                                 FROM chunks c WHERE c.document_id = d.id AND NOT c.whole_page), '')));
            ANALYZE chunks;
            """),
            // The words as written (`simple`: lowercased, no stemming, no stop list) of the whole document, beside the
            // stemmed ones: a past incident is told in its own words, and "rejects writes … added capacity" is about the
            // stream service that did exactly that, where stemmed `write`, `servic`, `ad` match every outage story
            // (RetrievalScoring.Weights.exactDocumentText). Its document frequencies are over every document, as the
            // stemmed words' are. Filled on every (re)index; here, the documents indexed before.
            (11, """
            ALTER TABLE documents ADD COLUMN tsv_exact tsvector;
            UPDATE documents d SET tsv_exact = to_tsvector('simple', d.title || ' ' ||
                coalesce((SELECT string_agg(c.content, ' ' ORDER BY c.ordinal) FROM chunks c
                          WHERE c.document_id = d.id AND NOT c.whole_page), ''));
            """),
        ]
    }

    /// Applies pending migrations; fails clearly when the index was created with other dimensions.
    public func migrate() async throws {
        try await withConnection { db in
            // Lock first: two daemons starting together must not both create the table.
            try await db.query("SELECT pg_advisory_lock(727274)")
            do {
                try await db.execute(script: """
                    CREATE TABLE IF NOT EXISTS schema_migrations (version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());
                    """)
                let applied = Set(try await db.query("SELECT version FROM schema_migrations").rows.compactMap { $0[0].flatMap(Int.init) })
                for (version, sql) in Self.migrations(dimensions: dimensions) where !applied.contains(version) {
                    try await db.transaction { tx in
                        try await tx.execute(script: sql)
                        try await tx.query("INSERT INTO schema_migrations (version) VALUES ($1)", [String(version)])
                    }
                    logger.info("applied migration", metadata: ["version": "\(version)"])
                }
                let typ = try await db.query("""
                    SELECT format_type(atttypid, atttypmod) AS t FROM pg_attribute
                    WHERE attrelid = 'chunks'::regclass AND attname = 'embedding'
                    """)
                if let t = typ.rows.first?[0] ?? nil, t != "vector(\(dimensions))" {
                    throw PostgresError(.query, "the index stores \(t) but EMBEDDINGS_DIMENSIONS is \(dimensions); re-create the database or set the matching dimensions")
                }
            } catch {
                _ = try? await db.query("SELECT pg_advisory_unlock(727274)")
                throw error
            }
            try await db.query("SELECT pg_advisory_unlock(727274)")
        }
    }

    // MARK: Writing

    /// What an indexed document already has embedded, reusable when it is indexed again: per content hash, its
    /// chunks' vectors (pgvector text) of each encoder's model, and its title's when the title text is unchanged.
    public struct Reusable: Sendable {
        public var chunks: [String: String] = [:]
        public var title: String?
        public var secondChunks: [String: String] = [:]
        public var secondTitle: String?
    }

    /// The document's reusable vectors of `model`, and of `secondModel` when a second encoder is configured, in
    /// one read of its chunks and one of its row.
    public func reusable(documentID: String, titleText: String, model: String, secondModel: String?) async throws -> Reusable {
        try await withConnection { db in
            var out = Reusable()
            for r in try await db.query("""
                SELECT content_hash, CASE WHEN model = $2 THEN embedding::text END,
                       CASE WHEN model2 = $3 THEN embedding2::text END
                FROM chunks WHERE document_id = $1
                """, [documentID, model, secondModel]).rows {
                guard let h = r[0] else { continue }
                if let e = r[1] { out.chunks[h] = e }
                if let e = r[2] { out.secondChunks[h] = e }
            }
            if let r = try await db.query("""
                SELECT CASE WHEN title_text = $2 AND title_model = $4 THEN title_embedding::text END,
                       CASE WHEN title_text2 = $2 AND title_model2 = $3 THEN title_embedding2::text END
                FROM documents WHERE id = $1
                """, [documentID, titleText, secondModel, model]).rows.first {
                (out.title, out.secondTitle) = (r[0], r[1])
            }
            return out
        }
    }

    /// Documents whose title has no embedding of `model` (indexed before migration 2, or with another model):
    /// id and title text.
    public func documentsWithoutTitleEmbedding(model: String) async throws -> [(id: String, path: String, title: String)] {
        try await withConnection { db in
            try await db.query("""
                SELECT id, path, title FROM documents WHERE title_embedding IS NULL OR title_model IS DISTINCT FROM $1 ORDER BY id
                """, [model]).rows.map { ($0[0] ?? "", $0[1] ?? "", $0[2] ?? "") }
        }
    }

    public func setTitleEmbedding(documentID: String, titleText: String, embedding: String, model: String) async throws {
        try await withConnection { db in
            _ = try await db.query("UPDATE documents SET title_text = $2, title_embedding = $3::vector, title_model = $4 WHERE id = $1",
                                   [documentID, titleText, embedding, model])
        }
    }

    /// The second encoder's vectors of a document: pgvector text per chunk and for its title, and the model.
    public struct SecondVectors: Sendable {
        public var model: String
        public var chunks: [String]
        public var title: String
        public init(model: String, chunks: [String], title: String) { self.model = model; self.chunks = chunks; self.title = title }
    }

    /// Up to `limit` chunks without the second encoder's vector of `model` (indexed before it was configured, or
    /// with another model): id and the text to embed (heading path and content, as the chunker embeds them).
    public func chunksWithoutSecondEmbedding(model: String, limit: Int) async throws -> [(id: String, hash: String, text: String)] {
        try await withConnection { db in
            try await db.query("""
                SELECT id, content_hash, heading_path || E'\n' || content FROM chunks WHERE model2 IS DISTINCT FROM $1 ORDER BY id LIMIT $2
                """, [model, String(limit)]).rows.map { ($0[0] ?? "", $0[1] ?? "", $0[2] ?? "") }
        }
    }

    /// Sets the second encoder's vectors of chunks whose content is still what was embedded (the embedder may
    /// have replaced a chunk meanwhile; that one already has its vectors).
    public func setSecondEmbeddings(_ vectors: [(chunkID: String, hash: String, embedding: String)], model: String) async throws {
        try await withConnection { db in
            try await db.transaction { tx in
                for v in vectors {
                    try await tx.query("UPDATE chunks SET embedding2 = $2::vector, model2 = $3 WHERE id = $1 AND content_hash = $4",
                                       [v.chunkID, v.embedding, model, v.hash])
                }
            }
        }
    }

    /// Documents whose title has no vector of the second encoder `model` for its current title text: id and title text.
    public func documentsWithoutSecondTitleEmbedding(model: String) async throws -> [(id: String, titleText: String)] {
        try await withConnection { db in
            try await db.query("""
                SELECT id, title_text FROM documents WHERE title_text IS NOT NULL
                    AND (title_embedding2 IS NULL OR title_text2 IS DISTINCT FROM title_text OR title_model2 IS DISTINCT FROM $1) ORDER BY id
                """, [model]).rows.map { ($0[0] ?? "", $0[1] ?? "") }
        }
    }

    public func setSecondTitleEmbedding(documentID: String, titleText: String, embedding: String, model: String) async throws {
        try await withConnection { db in
            _ = try await db.query("""
                UPDATE documents SET title_text2 = $2, title_embedding2 = $3::vector, title_model2 = $4 WHERE id = $1 AND title_text = $2
                """, [documentID, titleText, embedding, model])
        }
    }

    /// Replaces a document and its chunks in one transaction. `embeddings`
    /// holds pgvector text for every chunk (new or reused), `titleEmbedding` for `d.titleText`; `second` the
    /// second encoder's, when one is configured.
    public func replace(document d: CorpusDocument, chunks: [Chunk], embeddings: [String], titleEmbedding: String?,
                        model: String, second: SecondVectors? = nil, syncedAt: String?) async throws {
        precondition(chunks.count == embeddings.count)
        precondition(second == nil || second!.chunks.count == chunks.count)
        try await withConnection { db in
            try await db.transaction { tx in
                try await tx.query("""
                    INSERT INTO documents (id, path, kind, title, date, services, alerts, severity, incident_type,
                                           content_hash, synced_at, indexed_at, alert_keys)
                    VALUES ($1, $2, $3, $4, $5, $6::text[], $7::text[], $8, $9, $10, $11::timestamptz, now(), $12::text[])
                    ON CONFLICT (id) DO UPDATE SET path = EXCLUDED.path, kind = EXCLUDED.kind, title = EXCLUDED.title,
                        date = EXCLUDED.date, services = EXCLUDED.services, alerts = EXCLUDED.alerts, alert_keys = EXCLUDED.alert_keys,
                        severity = EXCLUDED.severity, incident_type = EXCLUDED.incident_type,
                        content_hash = EXCLUDED.content_hash, synced_at = EXCLUDED.synced_at, indexed_at = now()
                    """, [d.id, d.path, d.kind.rawValue, d.title, d.date, pgArray(d.services), pgArray(d.alerts),
                          d.severity, d.incidentType, d.contentHash, syncedAt,
                          pgArray(Set(d.alerts.map(DocumentName.key)).subtracting([""]).sorted())])
                for (i, (c, e)) in zip(chunks, embeddings).enumerated() {
                    try await tx.query("""
                        INSERT INTO chunks (id, document_id, ordinal, heading_path, line_start, line_end, content,
                                            content_hash, embedding, model, kind, services, alerts, embedding2, model2, whole_page,
                                            opening)
                        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::vector, $10, $11, $12::text[], $13::text[], $14::vector, $15,
                                $16::boolean, $17::boolean)
                        ON CONFLICT (id) DO UPDATE SET ordinal = EXCLUDED.ordinal, heading_path = EXCLUDED.heading_path,
                            whole_page = EXCLUDED.whole_page, opening = EXCLUDED.opening,
                            line_start = EXCLUDED.line_start, line_end = EXCLUDED.line_end, content = EXCLUDED.content,
                            content_hash = EXCLUDED.content_hash, embedding = EXCLUDED.embedding, model = EXCLUDED.model,
                            kind = EXCLUDED.kind, services = EXCLUDED.services, alerts = EXCLUDED.alerts,
                            -- Without a second encoder, an unchanged chunk keeps the second vector it has.
                            embedding2 = CASE WHEN EXCLUDED.model2 IS NULL AND chunks.content_hash = EXCLUDED.content_hash
                                              THEN chunks.embedding2 ELSE EXCLUDED.embedding2 END,
                            model2 = CASE WHEN EXCLUDED.model2 IS NULL AND chunks.content_hash = EXCLUDED.content_hash
                                          THEN chunks.model2 ELSE EXCLUDED.model2 END
                        """, [c.id, d.id, String(c.ordinal), c.headingPath, String(c.lineStart), String(c.lineEnd),
                              c.content, c.contentHash, e, model, d.kind.rawValue, pgArray(d.services),
                              pgArray(d.alerts), second?.chunks[i], second?.model, c.isWholePage ? "true" : "false",
                              c.isOpening ? "true" : "false"])
                }
                try await tx.query("DELETE FROM chunks WHERE document_id = $1 AND ordinal >= $2",
                                   [d.id, String(chunks.count)])
                try await tx.query("""
                    UPDATE documents SET tsv = setweight(to_tsvector('\(Self.textSearch)', $2), 'A') || setweight(to_tsvector('\(Self.textSearch)', $3), 'B'),
                        content_words = length(to_tsvector('english', $2) || to_tsvector('english', $3)),
                        tsv_exact = to_tsvector('simple', $2 || ' ' || $3),
                        title_text = $4, title_embedding = $5::vector, title_model = CASE WHEN $5::text IS NULL THEN NULL ELSE $9 END,
                        title_text2 = coalesce($6, title_text2), title_embedding2 = CASE WHEN $6::text IS NULL THEN title_embedding2 ELSE $7::vector END,
                        title_model2 = coalesce($8, title_model2) WHERE id = $1
                    """, [d.id, d.title, chunks.filter { !$0.isWholePage }.map(\.content).joined(separator: " "), d.titleText, titleEmbedding,
                          second == nil ? nil : d.titleText, second?.title, second?.model, model])
            }
        }
    }

    public func delete(documentID: String) async throws {
        try await withConnection { db in _ = try await db.query("DELETE FROM documents WHERE id = $1", [documentID]) }
    }

    /// The text of the given chunks, and every section (with its text) of the given documents in document
    /// order, in one round trip: what `RetrievalCompleted` carries so the reasoner needs no database.
    public func evidence(chunkIDs: [String], documentIDs: [String]) async throws
        -> (texts: [String: String], sections: [Citation]) {
        guard !chunkIDs.isEmpty || !documentIDs.isEmpty else { return ([:], []) }
        return try await withConnection { db in
            let rows = try await db.query("""
                SELECT c.id, c.document_id, d.title, d.path, c.kind, c.heading_path, c.line_start, c.line_end,
                       left(c.content, \(Citation.maxText)), c.document_id = ANY($2::text[]) AND NOT c.whole_page
                FROM chunks c JOIN documents d ON d.id = c.document_id
                WHERE c.id = ANY($1::text[]) OR c.document_id = ANY($2::text[]) ORDER BY c.document_id, c.ordinal
                """, [pgArray(chunkIDs), pgArray(documentIDs)]).rows
            var texts: [String: String] = [:]
            var sections: [Citation] = []
            for r in rows {
                let id = r[0] ?? ""
                texts[id] = r[8] ?? ""
                guard r[9] == "t" else { continue }
                sections.append(Citation(documentID: r[1] ?? "", title: r[2] ?? "", path: r[3] ?? "", kind: r[4] ?? "",
                                         chunkID: id, headingPath: r[5] ?? "", lineStart: Int(r[6] ?? "1") ?? 1,
                                         lineEnd: Int(r[7] ?? "1") ?? 1, score: 0, vectorRank: nil, textRank: nil,
                                         similarity: nil, boosts: ["section"], text: r[8]))
            }
            return (texts, sections)
        }
    }

    public struct IndexedDocument: Sendable, Hashable {
        public var id: String
        public var path: String
        public var kind: String
        public var contentHash: String
        /// The chunks' text in order (overlaps included): the document as the index holds it.
        public var text: String
        /// How the build that indexed it read the file: its title embedding's text and its chunks' hashes in order.
        public var titleText: String = ""
        public var chunkHashes: [String] = []
        public var alerts: [String] = []

        /// Whether this build reads `doc` (the same file) as it was indexed: same title text, same chunks, same alerts.
        /// A file unchanged since indexing but read differently (an upgrade that parses headings or titles anew) is not.
        public func isReadAsIndexed(_ doc: CorpusDocument, chunker: Chunker = Chunker()) -> Bool {
            doc.titleText == titleText && doc.alerts == alerts && chunker.chunks(of: doc).map(\.contentHash) == chunkHashes
        }
    }

    /// Every indexed document with its text reassembled from its chunks (for evaluation baselines and syncs).
    public func indexedDocuments() async throws -> [IndexedDocument] {
        try await withConnection { db in
            try await db.query("""
                SELECT d.id, d.path, d.kind, d.content_hash,
                       coalesce(string_agg(c.content, E'\n' ORDER BY c.ordinal) FILTER (WHERE NOT c.whole_page), ''),
                       coalesce(d.title_text, ''), coalesce(string_agg(c.content_hash, ',' ORDER BY c.ordinal), ''), d.alerts
                FROM documents d LEFT JOIN chunks c ON c.document_id = d.id GROUP BY d.id ORDER BY d.id
                """).rows.map {
                IndexedDocument(id: $0[0] ?? "", path: $0[1] ?? "", kind: $0[2] ?? "", contentHash: $0[3] ?? "", text: $0[4] ?? "",
                                titleText: $0[5] ?? "", chunkHashes: ($0[6] ?? "").split(separator: ",").map(String.init),
                                alerts: pgArrayValues($0[7]))
            }
        }
    }

    /// Document frequencies of every lexeme and the average lengths, for BM25.
    public func lexemeStatistics() async throws -> LexemeStatistics {
        try await withConnection { db in
            let totals = try await db.query("""
                SELECT (SELECT count(*) FROM documents), (SELECT coalesce(avg(coalesce(content_words, length(tsv))), 1) FROM documents),
                       (SELECT coalesce(avg(coalesce(content_words, length(tsv))), 1) FROM chunks WHERE NOT whole_page),
                       (SELECT count(*) FROM documents WHERE tsv_exact IS NOT NULL),
                       (SELECT coalesce(avg(length(tsv_exact)), 1) FROM documents WHERE tsv_exact IS NOT NULL)
                """).rows[0]
            func frequencies(of column: String) async throws -> [String: Int] {
                var df: [String: Int] = [:]
                for r in try await db.query("SELECT word, ndoc FROM ts_stat('SELECT \(column) FROM documents WHERE \(column) IS NOT NULL')").rows {
                    if let w = r[0], let n = r[1].flatMap(Int.init) { df[w] = n }
                }
                return df
            }
            let df = try await frequencies(of: "tsv")
            var names: [String: [String]] = [:]
            for r in try await db.query("SELECT id, path FROM documents WHERE kind <> 'postmortem'").rows {
                guard let id = r[0], let path = r[1] else { continue }
                let words = DocumentName.nameWords(ofPath: path)
                if Set(words).count >= 2 { names[id] = words }
            }
            return LexemeStatistics(documents: Int(totals[0] ?? "0") ?? 0, documentFrequency: df,
                                    averageDocumentLength: Double(totals[1] ?? "1") ?? 1,
                                    averageChunkLength: Double(totals[2] ?? "1") ?? 1, nameWords: names,
                                    exact: .init(documents: Int(totals[3] ?? "0") ?? 0, documentFrequency: try await frequencies(of: "tsv_exact"),
                                                 averageLength: Double(totals[4] ?? "1") ?? 1))
        }
    }

    public struct Counts: Sendable { public var documents: Int; public var chunks: Int }

    /// Whether anything is indexed: an index probe, not a count, so it can run per incident.
    public func isEmpty() async throws -> Bool {
        try await withConnection { db in try await db.query("SELECT EXISTS (SELECT 1 FROM chunks)").rows[0][0] != "t" }
    }

    /// nil when PostgreSQL answers, else the problem (for `/readyz`).
    public func readiness() async -> String? {
        do { _ = try await withConnection { db in try await db.query("SELECT 1") }; return nil } catch {
            return "postgres: \(error)"
        }
    }

    public func counts() async throws -> Counts {
        try await withConnection { db in
            let r = try await db.query("SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM chunks)")
            return Counts(documents: Int(r.rows[0][0] ?? "0") ?? 0, chunks: Int(r.rows[0][1] ?? "0") ?? 0)
        }
    }
}

/// A Postgres text[] literal: `{"a","b"}`.
func pgArray(_ items: [String]) -> String {
    "{" + items.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
        .joined(separator: ",") + "}"
}
