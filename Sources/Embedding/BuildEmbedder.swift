import DaemonRuntime
import Kafka
import Logging
import Prometheus
import Retrieval
import ServiceLifecycle

/// embedder's services (migrations applied first). `main` and the tests call this.
public func buildEmbedder(_ configuration: EmbedderConfiguration, registry: PrometheusCollectorRegistry?,
                          logger: Logger) async throws -> [any Service] {
    let store = IndexStore(url: configuration.databaseURL, dimensions: configuration.embeddings.dimensions, logger: logger)
    try await store.migrate()
    let embeddings = try EmbeddingsClient(configuration: configuration.embeddings, logger: logger)
    let producer = try configuration.common.producer(logger: logger)
    let second = try configuration.secondEmbeddings.map { try EmbeddingsClient(configuration: $0, logger: logger) }
    let handler = EmbedderHandler(store: store, embeddings: embeddings, second: second, chunker: configuration.chunker,
                                  logger: logger)
    do { try await handler.backfillTitleEmbeddings() } catch {
        logger.warning("title embeddings not backfilled yet (embeddings server unavailable?)", metadata: ["error": "\(error)"])
    }
    return try ConsumerDaemon(
        name: EmbedderConfiguration.daemon, common: configuration.common, endpoint: configuration.endpoint,
        topic: configuration.common.topics.corpus, handler: handler, producer: producer,
        readiness: { await store.readiness() }
    ).services(registry: registry, extra: second == nil ? [] : [SecondEncoderBackfill(handler: handler, logger: logger)],
               logger: logger)
}
