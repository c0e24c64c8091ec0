import ArgumentParser
import Corpus
import DaemonRuntime
import Foundation
import IncidentLog
import Kafka
import Logging
import Retrieval
import ServiceLifecycle

/// embedder: keeps the corpus index in PostgreSQL + pgvector in step with
/// `aiops.corpus.v1`.
@main
struct Embedder: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embedder",
        abstract: "Chunks and embeds ops-handbook documents from aiops.corpus.v1 into PostgreSQL + pgvector.",
        discussion: """
            Environment: KAFKA_BROKERS, KAFKA_PROPERTIES, AIOPS_TOPIC_PREFIX, DATABASE_URL, EMBEDDINGS_URL,
            EMBEDDINGS_MODEL, EMBEDDINGS_API_KEY, EMBEDDINGS_INPUT_TYPE, EMBEDDINGS_DIMENSIONS,
            EMBEDDINGS_BATCH_SIZE, EMBEDDINGS_TIMEOUT_MS, EMBEDDINGS_RETRIES, EMBEDDER_GROUP (aiops-embedder),
            EMBEDDER_HOST/EMBEDDER_PORT (127.0.0.1:9096), CHUNK_MAX_CHARS (1200), CHUNK_OVERLAP_CHARS (200).
            """)

    func run() async throws {
        let src = ConfigSource()
        let registry = Observability.bootstrap(service: "embedder")
        let logger = Logger(label: "embedder")
        let settings = try DaemonSettings(service: "embedder", source: src)
        let topics = settings.topics
        let kafka = settings.kafka
        let databaseURL = settings.databaseURL
        let group = src.string(nil, env: "EMBEDDER_GROUP", default: "aiops-embedder")
        let embeddingsConfig = try EmbeddingsConfiguration.fromEnvironment(src)
        let chunker = Chunker(maxCharacters: try src.int(nil, env: "CHUNK_MAX_CHARS", default: 1_200),
                              overlapCharacters: try src.int(nil, env: "CHUNK_OVERLAP_CHARS", default: 200))

        let store = IndexStore(url: databaseURL, dimensions: embeddingsConfig.dimensions, logger: logger)
        try await store.migrate()
        let embeddings = try EmbeddingsClient(configuration: embeddingsConfig, logger: logger)
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(kafka: kafka), logger: logger)
        try await ConsumerDaemon.run(
            service: "embedder", topic: topics.corpus, group: group, settings: settings, producer: producer,
            handler: EmbedderHandler(store: store, embeddings: embeddings, chunker: chunker, logger: logger), registry: registry,
            host: src.string(nil, env: "EMBEDDER_HOST", default: "127.0.0.1"),
            port: try src.int(nil, env: "EMBEDDER_PORT", default: 9096), logger: logger) {
                do { _ = try await store.counts(); return nil } catch { return "postgres: \(error)" }
            }
    }
}
