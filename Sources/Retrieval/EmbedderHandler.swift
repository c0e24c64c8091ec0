import Corpus
import DaemonRuntime
import Foundation
import IncidentLog
import Kafka
import Logging
import Metrics
import Postgres

/// The embedder's handler: one corpus event → the document's chunks in the
/// index. Idempotent: unchanged chunks (same text, same model) reuse their
/// embedding; a deleted document's chunks go with it. Outages of the
/// embeddings server or PostgreSQL are transient (retried, offset not stored);
/// a document that can never be indexed is a permanent error (dead letter).
public struct EmbedderHandler: MessageHandler {
    let store: IndexStore
    let embeddings: EmbeddingsClient
    let chunker: Chunker
    let logger: Logger
    let documentsIndexed = Counter(label: "aiops_embedder_documents_total", dimensions: [("change", "upserted")])
    let documentsDeleted = Counter(label: "aiops_embedder_documents_total", dimensions: [("change", "deleted")])
    let chunksEmbedded = Counter(label: "aiops_embedder_chunks_total", dimensions: [("embedding", "computed")])
    let chunksReused = Counter(label: "aiops_embedder_chunks_total", dimensions: [("embedding", "reused")])
    let freshness = Gauge(label: "aiops_embedder_index_lag_seconds")

    public init(store: IndexStore, embeddings: EmbeddingsClient, chunker: Chunker = Chunker(), logger: Logger) {
        self.store = store
        self.embeddings = embeddings
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
        var outcome = Outcome()
        do {
            switch event.type {
            case .deleted:
                try await store.delete(documentID: event.documentID)
                documentsDeleted.increment()
                outcome.deleted = true
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
                let chunks = chunker.chunks(of: doc)
                let model = embeddings.configuration.model
                let reusable = try await store.reusableEmbeddings(documentID: doc.id, model: model)
                let missing = chunks.filter { reusable[$0.contentHash] == nil }
                var computed: [String: String] = [:]
                if !missing.isEmpty {
                    let vectors = try await embeddings.embed(missing.map(\.embeddingText), as: .passage)
                    for (c, v) in zip(missing, vectors) { computed[c.contentHash] = PGVector.literal(v) }
                }
                let vectors = chunks.map { computed[$0.contentHash] ?? reusable[$0.contentHash]! }
                try await store.replace(document: doc, chunks: chunks, embeddings: vectors, model: model,
                                        syncedAt: event.syncedAt)
                outcome.chunks = chunks.count
                outcome.embedded = missing.count
                outcome.reused = chunks.count - missing.count
                documentsIndexed.increment()
                chunksEmbedded.increment(by: outcome.embedded)
                chunksReused.increment(by: outcome.reused)
                logger.info("indexed document", metadata: [
                    "document.id": "\(doc.id)", "chunks": "\(chunks.count)", "embedded": "\(missing.count)"])
            }
        } catch let error as PostgresError where error.code == .connection {
            throw TransientHandlerError(error)
        } catch let error as EmbeddingsError where error.kind == .unavailable {
            throw TransientHandlerError(error)
        } catch let error as EmbeddingsError {
            throw PermanentHandlerError("\(event.path): \(error)")
        }
        return outcome
    }
}
