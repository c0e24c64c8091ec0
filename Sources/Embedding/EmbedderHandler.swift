import Corpus
import DaemonRuntime
import Foundation
import IncidentLog
import Kafka
import Logging
import Metrics
import Postgres
import Retrieval

/// The embedder's handler: one corpus event → the document's chunks in the
/// index. Idempotent: unchanged chunks (same text, same model) reuse their
/// embedding; a deleted document's chunks go with it. Outages of the
/// embeddings server or PostgreSQL are transient (retried, offset not stored);
/// a document that can never be indexed is a permanent error (dead letter).
public struct EmbedderHandler: MessageHandler {
    let store: IndexStore
    let embeddings: EmbeddingsClient
    /// The second encoder (SecondEncoderConfiguration), when one is configured: every chunk and title gets its vector too.
    let second: EmbeddingsClient?
    let chunker: Chunker
    let logger: Logger
    let documentsIndexed = Counter(label: "aiops_embedder_documents_total", dimensions: [("change", "upserted")])
    let documentsDeleted = Counter(label: "aiops_embedder_documents_total", dimensions: [("change", "deleted")])
    let chunksEmbedded = Counter(label: "aiops_embedder_chunks_total", dimensions: [("embedding", "computed")])
    let chunksReused = Counter(label: "aiops_embedder_chunks_total", dimensions: [("embedding", "reused")])
    let freshness = Gauge(label: "aiops_embedder_index_lag_seconds")
    let secondUnavailable = Counter(label: "aiops_second_encoder_unavailable_total", dimensions: [("daemon", "embedder")])

    public init(store: IndexStore, embeddings: EmbeddingsClient, second: EmbeddingsClient? = nil, chunker: Chunker = Chunker(),
                logger: Logger) {
        self.store = store
        self.embeddings = embeddings
        self.second = second
        self.chunker = chunker
        self.logger = logger
    }

    public struct Outcome: Sendable, Equatable {
        public var chunks = 0
        public var embedded = 0
        public var reused = 0
        public var deleted = false
    }

    public func handle(_ message: KafkaConsumerMessage) async throws -> [KafkaOutgoingMessage] {
        let event: CorpusEvent
        do { event = try CorpusEvent.decode(message) } catch {
            throw PermanentHandlerError("not a corpus event: \(error)")
        }
        if let synced = RFC3339.parse(event.syncedAt) { freshness.record(Date().timeIntervalSince(synced)) }
        _ = try await index(event)
        freshness.record(0)
        return []
    }

    /// Applies one event to the index.
    public func index(_ event: CorpusEvent) async throws -> Outcome {
        try await index(batch: [event])[0]
    }

    /// Applies events in order; the chunks of all upserted documents are
    /// embedded together, in requests of the configured batch size.
    public func index(batch events: [CorpusEvent]) async throws -> [Outcome] {
        do {
            return try await indexUnmapped(events)
        } catch let error as PostgresError where error.code == .connection {
            throw TransientHandlerError(error)
        } catch let error as EmbeddingsError where error.kind == .unavailable {
            throw TransientHandlerError(error)
        } catch let error as EmbeddingsError {
            throw PermanentHandlerError("\(events.map(\.path).joined(separator: ", ")): \(error)")
        }
    }

    private struct Prepared {
        var doc: CorpusDocument
        var chunks: [Chunk]
        var reusable: IndexStore.Reusable
        var syncedAt: String
    }

    /// Key → text of what `prepared` has no reusable vector of one encoder for: chunks by content hash, titles
    /// as `title:<text>`.
    private static func missing(_ prepared: [(Int, Prepared)], chunks: KeyPath<IndexStore.Reusable, [String: String]>,
                                title: KeyPath<IndexStore.Reusable, String?>) -> [String: String] {
        var out: [String: String] = [:]
        for (_, p) in prepared {
            for c in p.chunks where p.reusable[keyPath: chunks][c.contentHash] == nil { out[c.contentHash] = c.embeddingText }
            if p.reusable[keyPath: title] == nil { out["title:" + p.doc.titleText] = p.doc.titleText }
        }
        return out
    }

    private func indexUnmapped(_ events: [CorpusEvent]) async throws -> [Outcome] {
        let model = embeddings.configuration.model
        // Only the last event of a document in the batch matters (the topic is compacted too).
        var lastIndex: [String: Int] = [:]
        for (i, e) in events.enumerated() { lastIndex[e.documentID] = i }
        var outcomes = Array(repeating: Outcome(), count: events.count)
        var prepared: [(Int, Prepared)] = []
        for (i, event) in events.enumerated() where lastIndex[event.documentID] == i {
            switch event.type {
            case .deleted:
                try await store.delete(documentID: event.documentID)
                documentsDeleted.increment()
                outcomes[i].deleted = true
            case .upserted:
                guard let content = event.content else {
                    throw PermanentHandlerError("\(event.path): DocumentUpserted without content")
                }
                let doc: CorpusDocument
                do { doc = try CorpusDocument.parse(path: event.path, text: content).0 } catch {
                    throw PermanentHandlerError("\(error)")
                }
                guard doc.id == event.documentID else {
                    throw PermanentHandlerError("\(event.path): id \(doc.id) does not match the record key \(event.documentID)")
                }
                let reusable = try await store.reusable(documentID: doc.id, titleText: doc.titleText, model: model,
                                                        secondModel: second?.configuration.model)
                prepared.append((i, Prepared(doc: doc, chunks: chunker.chunks(of: doc), reusable: reusable, syncedAt: event.syncedAt)))
            }
        }
        // One embedding pass per encoder for every chunk and title that has no reusable vector; both encoders at
        // once: they are separate servers.
        let missingSecond = second == nil ? [:] : Self.missing(prepared, chunks: \.secondChunks, title: \.secondTitle)
        async let computedFirst = Self.embedded(Self.missing(prepared, chunks: \.chunks, title: \.title), by: embeddings)
        async let computedSecond = secondEmbedded(missingSecond)
        let (computed, computed2) = try await (computedFirst, computedSecond)
        for (i, p) in prepared {
            let vectors = p.chunks.map { p.reusable.chunks[$0.contentHash] ?? computed[$0.contentHash]! }
            let title = p.reusable.title ?? computed["title:" + p.doc.titleText]
            // Without them all (the second encoder was down), the document is indexed with the first alone; its
            // unchanged chunks keep their second vectors and the backfill gives the others theirs later.
            var secondVectors: IndexStore.SecondVectors?
            if let s = second, let title = p.reusable.secondTitle ?? computed2["title:" + p.doc.titleText] {
                let chunks = p.chunks.compactMap { p.reusable.secondChunks[$0.contentHash] ?? computed2[$0.contentHash] }
                if chunks.count == p.chunks.count {
                    secondVectors = IndexStore.SecondVectors(model: s.configuration.model, chunks: chunks, title: title)
                }
            }
            try await store.replace(document: p.doc, chunks: p.chunks, embeddings: vectors, titleEmbedding: title, model: model,
                                    second: secondVectors, syncedAt: p.syncedAt)
            let embedded = p.chunks.filter { p.reusable.chunks[$0.contentHash] == nil }.count
            outcomes[i] = Outcome(chunks: p.chunks.count, embedded: embedded, reused: p.chunks.count - embedded)
            documentsIndexed.increment()
            chunksEmbedded.increment(by: embedded)
            chunksReused.increment(by: p.chunks.count - embedded)
            logger.info("indexed document", metadata: [
                "document.id": "\(p.doc.id)", "chunks": "\(p.chunks.count)", "embedded": "\(embedded)"])
        }
        return outcomes
    }
}

extension EmbedderHandler {
    /// Key → pgvector text of `texts` embedded as passages by `client` (none without a client).
    static func embedded(_ texts: [String: String], by client: EmbeddingsClient?) async throws -> [String: String] {
        guard let client, !texts.isEmpty else { return [:] }
        let keys = texts.keys.sorted()
        let vectors = try await client.embed(keys.map { texts[$0]! }, as: .passage)
        return Dictionary(uniqueKeysWithValues: zip(keys, vectors.map(PGVector.literal)))
    }

    /// The second encoder's passage vectors of `texts`, or none when it cannot answer: the document is then
    /// indexed with the first encoder alone rather than held back (logged, counted; the backfill catches up).
    func secondEmbedded(_ texts: [String: String]) async -> [String: String] {
        do { return try await Self.embedded(texts, by: second) } catch {
            secondUnavailable.increment()
            logger.warning("second encoder unavailable: indexing with the first alone", metadata: ["error": "\(error)"])
            return [:]
        }
    }

    /// Gives the chunks and titles indexed before the second encoder was configured (or with another second
    /// model) its vectors, a batch at a time; returns how many chunks it embedded. Idempotent.
    public func backfillSecondEmbeddings(batch: Int = 64) async throws -> Int {
        guard let second else { return 0 }
        let model = second.configuration.model
        var done = 0
        while true {
            let missing = try await store.chunksWithoutSecondEmbedding(model: model, limit: batch)
            if missing.isEmpty { break }
            let vectors = try await second.embed(missing.map(\.text), as: .passage)
            try await store.setSecondEmbeddings(zip(missing, vectors).map { ($0.id, $0.hash, PGVector.literal($1)) }, model: model)
            done += missing.count
            // A chunk replaced meanwhile keeps its model2 of the replacement; one whose hash no longer matched was
            // replaced with both vectors already, so the loop never revisits the same rows forever.
            if missing.count < batch { break }
        }
        let titles = try await store.documentsWithoutSecondTitleEmbedding(model: model)
        for start in stride(from: 0, to: titles.count, by: batch) {
            let part = Array(titles[start..<min(start + batch, titles.count)])
            let vectors = try await second.embed(part.map(\.titleText), as: .passage)
            for (d, v) in zip(part, vectors) {
                try await store.setSecondTitleEmbedding(documentID: d.id, titleText: d.titleText, embedding: PGVector.literal(v),
                                                        model: model)
            }
        }
        if done > 0 || !titles.isEmpty {
            logger.info("embedded with the second encoder what was indexed before it", metadata: [
                "chunks": "\(done)", "titles": "\(titles.count)", "model": "\(model)"])
        }
        return done
    }

    /// Embeds the titles of documents indexed before titles were (migration 2), or with another model; idempotent.
    public func backfillTitleEmbeddings() async throws {
        let model = embeddings.configuration.model
        let missing = try await store.documentsWithoutTitleEmbedding(model: model)
        guard !missing.isEmpty else { return }
        for start in stride(from: 0, to: missing.count, by: 32) {
            let part = Array(missing[start..<min(start + 32, missing.count)])
            let texts = part.map { CorpusDocument.titleText(title: $0.title, path: $0.path) }
            let vectors = try await embeddings.embed(texts, as: .passage)
            for ((d, text), v) in zip(zip(part, texts), vectors) {
                try await store.setTitleEmbedding(documentID: d.id, titleText: text, embedding: PGVector.literal(v), model: model)
            }
        }
        logger.info("embedded the titles of documents indexed before title embeddings or with another model",
                    metadata: ["documents": "\(missing.count)", "model": "\(model)"])
    }
}

extension EmbedderHandler: BatchMessageHandler {
    /// Documents handled together: enough to fill embedding requests.
    public var maxBatchSize: Int { 16 }

    public func handle(batch: [KafkaConsumerMessage]) async throws -> [KafkaOutgoingMessage] {
        var events: [CorpusEvent] = []
        for m in batch {
            do { events.append(try CorpusEvent.decode(m)) } catch {
                throw PermanentHandlerError("not a corpus event: \(error)")
            }
        }
        if let oldest = events.compactMap({ RFC3339.parse($0.syncedAt) }).min() {
            freshness.record(Date().timeIntervalSince(oldest))
        }
        _ = try await index(batch: events)
        freshness.record(0)
        return []
    }
}
