import ArgumentParser
import DaemonRuntime
import Foundation
import IncidentLog
import Kafka
import Logging
import Retrieval
import ServiceLifecycle

/// retriever: answers every new incident with the past postmortems and
/// runbooks that match it (`RetrievalCompleted`).
@main
struct Retriever: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retriever",
        abstract: "Appends RetrievalCompleted (top postmortems and runbooks, cited to the section) to new incidents.",
        discussion: """
            Environment: KAFKA_BROKERS, KAFKA_PROPERTIES, AIOPS_TOPIC_PREFIX, DATABASE_URL, EMBEDDINGS_* (as the
            embedder), RETRIEVER_GROUP (aiops-retriever), RETRIEVER_HOST/RETRIEVER_PORT (127.0.0.1:9097),
            RETRIEVAL_MIN_SIMILARITY (0.85), RETRIEVAL_POSTMORTEMS (5), RETRIEVAL_RUNBOOKS (3).
            """)

    func run() async throws {
        let src = ConfigSource()
        let registry = Observability.bootstrap(service: "retriever")
        let logger = Logger(label: "retriever")
        let settings = try DaemonSettings(service: "retriever", source: src)
        let topics = settings.topics
        let kafka = settings.kafka
        let databaseURL = settings.databaseURL
        let group = src.string(nil, env: "RETRIEVER_GROUP", default: "aiops-retriever")
        let embeddingsConfig = try EmbeddingsConfiguration.fromEnvironment(src)

        let store = IndexStore(url: databaseURL, dimensions: embeddingsConfig.dimensions, logger: logger)
        try await store.migrate()
        var search = HybridSearch(store: store, embeddings: try EmbeddingsClient(configuration: embeddingsConfig, logger: logger))
        if let floor = src.optionalString(nil, env: "RETRIEVAL_MIN_SIMILARITY").flatMap(Double.init) {
            search.tuning.minSimilarity = floor
        }
        var handler = RetrieverHandler(search: search, topics: topics, logger: logger)
        handler.postmortems = try src.int(nil, env: "RETRIEVAL_POSTMORTEMS", default: 5)
        handler.runbooks = try src.int(nil, env: "RETRIEVAL_RUNBOOKS", default: 3)
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(kafka: kafka), logger: logger)
        try await ConsumerDaemon.run(
            service: "retriever", topic: topics.incidents, group: group, settings: settings, producer: producer,
            handler: handler, registry: registry,
            host: src.string(nil, env: "RETRIEVER_HOST", default: "127.0.0.1"),
            port: try src.int(nil, env: "RETRIEVER_PORT", default: 9097), logger: logger) {
                do { _ = try await store.counts(); return nil } catch { return "postgres: \(error)" }
            }
    }
}
