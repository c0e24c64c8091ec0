import Foundation
import Postgres
import Retrieval
import TestSupport
import Testing

@Suite("IndexStore connections (real PostgreSQL)", .enabled(if: TestPostgres.isAvailable || ProcessInfo.processInfo.environment["CI"] != nil))
struct IndexStoreLeaseTests {
    @Test func aTransactionNeverSharesItsConnectionWithAnotherCaller() async throws {
        let store = IndexStore(url: try TestPostgres.database(), dimensions: 8, logger: TestKafka.logger)
        try await store.withConnection { db in _ = try await db.query("CREATE TABLE lease_t (x int)") }
        let (inside, insideC) = AsyncStream<Void>.makeStream()
        let (gate, gateC) = AsyncStream<Void>.makeStream()
        let writer = Task {
            try await store.withConnection { db in
                try await db.transaction { tx in
                    _ = try await tx.query("INSERT INTO lease_t VALUES (1)")
                    insideC.yield()
                    for await _ in gate { break } // holds the transaction open
                }
            }
        }
        for await _ in inside { break }
        // Another caller meanwhile: its own connection, outside the open transaction.
        let during = try await store.withConnection { db in
            (try await db.query("SELECT count(*), now() = statement_timestamp() FROM lease_t").rows[0])
        }
        #expect(during[0] == "0", "the uncommitted row is not visible: not the writer's connection")
        gateC.yield()
        try await writer.value
        let after = try await store.withConnection { db in try await db.query("SELECT count(*) FROM lease_t").rows[0][0] }
        #expect(after == "1")
    }

    @Test func callersBeyondThePoolWaitForAConnection() async throws {
        let store = IndexStore(url: try TestPostgres.database(), dimensions: 8, maxConnections: 2, logger: TestKafka.logger)
        let pids = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    try await store.withConnection { db in
                        try await db.query("SELECT pg_backend_pid()::text FROM pg_sleep(0.05)").rows[0][0] ?? ""
                    }
                }
            }
            var out: Set<String> = []
            for try await pid in group { out.insert(pid) }
            return out
        }
        #expect(pids.count <= 2, "at most two connections: \(pids)")
        #expect(pids.count >= 1)
    }
}
