import DaemonRuntime
import Kafka
import Logging
import Prometheus
import ServiceLifecycle

/// retriever's services (migrations applied first). `main` and the tests call this.
public func buildRetriever(_ configuration: RetrieverConfiguration, registry: PrometheusCollectorRegistry?,
                           logger: Logger) async throws -> [any Service] {
    let store = IndexStore(url: configuration.databaseURL, dimensions: configuration.embeddings.dimensions, logger: logger)
    try await store.migrate()
    var search = HybridSearch(store: store, embeddings: try EmbeddingsClient(configuration: configuration.embeddings, logger: logger),
                              second: try configuration.secondEmbeddings.map { c in
                                  // A query to the second encoder is one short text: fail fast and rank without it.
                                  var quick = c
                                  quick.retries = 1
                                  quick.timeoutMs = min(c.timeoutMs, 5_000)
                                  return try EmbeddingsClient(configuration: quick, logger: logger)
                              })
    search.tuning.minSimilarity = configuration.minSimilarity
    var handler = RetrieverHandler(search: search, topics: configuration.common.topics, logger: logger)
    handler.postmortems = configuration.postmortems
    handler.runbooks = configuration.runbooks
    let producer = try configuration.common.producer(logger: logger)
    return try ConsumerDaemon(
        name: RetrieverConfiguration.daemon, common: configuration.common, endpoint: configuration.endpoint,
        topic: configuration.common.topics.incidents, handler: handler, producer: producer,
        readiness: { await store.readiness() }
    ).services(registry: registry, logger: logger)
}
