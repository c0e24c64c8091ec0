import Foundation
import Postgres
@testable import Retrieval
import TestSupport
import Testing

/// An index that already holds documents is upgraded in place at start-up: the migrations that change how words are
/// read must rewrite what was stored under the old reading.
@Suite("index migrations on a populated index (real PostgreSQL, pgvector)", .enabled(if: TestPostgres.isAvailable))
struct IndexMigrationTests {
    @Test func anIndexWrittenBeforeTheStopListChangeCountsDownNotOutAfterMigrating() async throws {
        let url = try TestPostgres.database()
        let store = IndexStore(url: url, dimensions: 4, logger: TestKafka.logger)
        // Version 9 as a deployment has it: those migrations, then a runbook as that version's embedder wrote it
        // (tsvectors under PostgreSQL's English stop list).
        try await store.withConnection { db in
            try await db.execute(script: """
                CREATE TABLE schema_migrations (version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());
                """)
            for (version, sql) in IndexStore.migrations(dimensions: 4) where version <= 9 {
                try await db.execute(script: sql)
                try await db.query("INSERT INTO schema_migrations (version) VALUES ($1)", [String(version)])
            }
            try await db.execute(script: """
                INSERT INTO documents (id, path, kind, title, content_hash, tsv) VALUES
                    ('runbooks/site-down', 'runbooks/site-down.md', 'runbook', 'The site is down', 'h1',
                     setweight(to_tsvector('english', 'The site is down'), 'A') ||
                     setweight(to_tsvector('english', 'When the site is not up, check the load balancer.'), 'B'));
                INSERT INTO chunks (id, document_id, ordinal, heading_path, line_start, line_end, content, content_hash,
                                    embedding, model, kind) VALUES
                    ('runbooks/site-down#0', 'runbooks/site-down', 0, 'The site is down', 1, 3,
                     'When the site is not up, check the load balancer.', 'c1', '[1,0,0,0]', 'm', 'runbook'),
                    ('runbooks/site-down#1', 'runbooks/site-down', 1, 'The site is down', 1, 3,
                     'The site is down. When the site is not up, check the load balancer.', 'c2', '[1,0,0,0]', 'm', 'runbook');
                UPDATE chunks SET whole_page = true WHERE id = 'runbooks/site-down#1';
                """)
            let before = try await db.query("SELECT tsv @@ to_tsquery('simple', 'down') FROM documents").rows.first?[0] ?? nil
            #expect(before == "f")
        }

        try await store.migrate()

        try await store.withConnection { db in
            let version = try await db.query("SELECT max(version) FROM schema_migrations").rows.first?[0] ?? nil
            #expect(version == String(IndexStore.migrations(dimensions: 4).map(\.0).max() ?? 0))
            // The words the stop list dropped are in every stored tsvector now: the document's and its section's.
            for sql in ["SELECT tsv @@ to_tsquery('\(IndexStore.textSearch)', 'down & not & up') FROM documents",
                        "SELECT tsv @@ to_tsquery('\(IndexStore.textSearch)', 'down & not & up') FROM chunks WHERE NOT whole_page"] {
                #expect((try await db.query(sql).rows.first?[0] ?? nil) == "t", "\(sql)")
            }
            // The whole-page reading still has no words of its own, and lengths stay counted under the stop list
            // (distinct words: "site" in the heading and the text counts once; when, is, not, up, the do not count).
            #expect((try await db.query("SELECT tsv IS NULL FROM chunks WHERE whole_page").rows.first?[0] ?? nil) == "t")
            let documentWords = try await db.query("SELECT content_words FROM documents").rows.first?[0] ?? nil
            let sectionWords = try await db.query("SELECT content_words FROM chunks WHERE NOT whole_page").rows.first?[0] ?? nil
            #expect(documentWords == "4")  // site, check, load, balanc
            #expect(sectionWords == "4")
            // Migration 11: the document's words as written (title and sections, not the whole-page reading again).
            let exact = try await db.query("""
                SELECT tsv_exact @@ to_tsquery('simple', 'the & is & not & up & down'), length(tsv_exact),
                       tsv_exact @@ to_tsquery('simple', 'balanc') FROM documents
                """).rows.first
            #expect(exact?[0] == "t")
            #expect(exact?[1] == "10")  // the, site, is, down, when, not, up, check, load, balancer
            #expect(exact?[2] == "f", "not stemmed")
        }
        // Migrating again is a no-op.
        try await store.migrate()
    }
}
