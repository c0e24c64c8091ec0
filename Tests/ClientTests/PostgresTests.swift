import Foundation
import Logging
import Postgres
import TestSupport
import Testing

@Suite("libpq wrapper against PostgreSQL 18 + pgvector",
       .enabled(if: TestPostgres.isAvailable || ProcessInfo.processInfo.environment["CI"] != nil))
struct PostgresTests {
    let logger = Logger(label: "test.postgres")

    @Test func parametersNullsAndErrors() async throws {
        let db = try await PostgresConnection.connect(try TestPostgres.database(), logger: logger)
        try await db.execute(script: "CREATE TABLE t (id int PRIMARY KEY, name text); CREATE INDEX ON t (name);")
        let inserted = try await db.query("INSERT INTO t VALUES ($1, $2), ($3, $4)", ["1", "a'; DROP TABLE t; --", "2", nil])
        #expect(inserted.affected == 2)
        let rows = try await db.query("SELECT id, name FROM t ORDER BY id")
        #expect(rows.columns == ["id", "name"])
        #expect(rows.rows == [["1", "a'; DROP TABLE t; --"], ["2", nil]])
        do {
            try await db.query("INSERT INTO t VALUES (1, 'dup')")
            Issue.record("duplicate key accepted")
        } catch let error as PostgresError {
            #expect(error.code == .query)
            #expect(error.sqlState == "23505")
        }
        // The connection is still usable after an error.
        #expect(try await db.query("SELECT count(*) AS n FROM t")[0, "n"] == "2")
    }

    @Test func transactionRollsBackOnError() async throws {
        let db = try await PostgresConnection.connect(try TestPostgres.database(), logger: logger)
        try await db.query("CREATE TABLE t (id int)")
        struct Boom: Error {}
        await #expect(throws: Boom.self) {
            try await db.transaction { tx in
                try await tx.query("INSERT INTO t VALUES (1)")
                throw Boom()
            }
        }
        #expect(try await db.query("SELECT count(*) AS n FROM t")[0, "n"] == "0")
    }

    @Test func pgvectorCosineSearch() async throws {
        let db = try await PostgresConnection.connect(try TestPostgres.database(), logger: logger)
        try await db.execute(script: """
            CREATE TABLE items (id int PRIMARY KEY, embedding vector(3));
            CREATE INDEX ON items USING hnsw (embedding vector_cosine_ops);
            """)
        for (id, v) in [(1, [1, 0, 0]), (2, [0, 1, 0]), (3, [0.9, 0.1, 0])] as [(Int, [Float])] {
            try await db.query("INSERT INTO items VALUES ($1, $2::vector)", [String(id), PGVector.literal(v)])
        }
        let rows = try await db.query("SELECT id, embedding FROM items ORDER BY embedding <=> $1::vector LIMIT 2",
                                      [PGVector.literal([1, 0, 0])])
        #expect(rows.rows.map { $0[0] } == ["1", "3"])
        #expect(try PGVector.parse(rows[1, "embedding"]!) == [0.9, 0.1, 0])
    }

    @Test func preparedStatementsArePreparedOnceAndReused() async throws {
        let db = try await PostgresConnection.connect(try TestPostgres.database(), logger: logger)
        let sql = "SELECT $1::int + 1 AS n"
        #expect(try await db.queryPrepared(sql, ["1"])[0, "n"] == "2")
        #expect(try await db.queryPrepared(sql, ["41"])[0, "n"] == "42")
        let count = try await db.query("SELECT count(*) AS n FROM pg_prepared_statements")
        #expect(count[0, "n"] == "1")
        await #expect(throws: PostgresError.self) { try await db.queryPrepared("SELECT nope FROM nowhere") }
    }

    @Test func connectionErrorsSayWhere() async throws {
        await #expect(throws: PostgresError.self) {
            _ = try await PostgresConnection.connect("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2",
                                                     logger: logger)
        }
    }
}
