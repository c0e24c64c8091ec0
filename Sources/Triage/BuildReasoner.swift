import Actions
import DaemonRuntime
import Kafka
import Logging
import Prometheus
import ServiceLifecycle

/// reasoner's services, its state rebuilt from the incident log first (a
/// restart never repeats a step). `main` and the tests call this.
public func buildReasoner(_ configuration: ReasonerConfiguration, registry: PrometheusCollectorRegistry?,
                          logger: Logger) async throws -> [any Service] {
    let catalog = try ActionCatalog.load(path: configuration.catalogPath)
    let planner: any TriagePlanner
    switch configuration.planner {
    case .builtin:
        planner = BuiltinPlanner(catalog: catalog)
    case .llm:
        planner = LLMPlanner(client: try ChatCompletionsClient(configuration: configuration.llm, logger: logger),
                             catalog: catalog, logger: logger)
        logger.info("LLM planner", metadata: ["url": "\(configuration.llm.baseURL)", "model": "\(configuration.llm.model)"])
    }
    let topics = configuration.common.topics
    let handler = ReasonerHandler(planner: planner, catalog: catalog, topics: topics, bounds: configuration.bounds,
                                  logger: logger)
    let snapshots = configuration.snapshot.store(daemon: ReasonerConfiguration.daemon, key: configuration.common.key)
    try await IncidentLogReader.forEachEvent(authenticator: configuration.common.authenticator, configuration: configuration.common.kafka,
                                             snapshot: snapshots, logger: logger) {
        _ = handler.observe($0)
    }
    let producer = try configuration.common.producer(logger: logger)
    var daemon = ConsumerDaemon(name: ReasonerConfiguration.daemon, common: configuration.common, endpoint: configuration.endpoint,
                                topic: topics.incidents, handler: handler, producer: producer)
    // One lane per incident (the record key): incidents are independent, events of one incident stay in order.
    daemon.lanes = Lanes(limit: configuration.concurrency)
    return try daemon.services(registry: registry, logger: logger) + configuration.snapshot.services(snapshots, configuration.common, logger: logger)
}
