import DaemonRuntime
import Kafka
import Logging
import Prometheus
import ServiceLifecycle

/// alert-ingestor's services: the producer, and the HTTP application once the
/// state is rebuilt from the incident log. `main`, the tests and `aiops` call this.
public func buildIngestor(_ configuration: IngestorConfiguration, registry: PrometheusCollectorRegistry?,
                          logger: Logger) async throws -> [any Service] {
    let producer = try configuration.common.producer(configuration.producerConfiguration, logger: logger)
    Observability.attachKafkaStatistics(producer: producer, service: IngestorConfiguration.daemon)
    // Rebuild before serving: a restarted ingestor must not reopen what is open.
    // The ingestor folds only what it wrote itself.
    let snapshots = configuration.snapshot.store(daemon: IngestorConfiguration.daemon, key: configuration.common.key) {
        $0.producer == IngestPlanner.producer
    }
    let state = try await IngestCoordinator.rebuildState(
        authenticator: configuration.common.authenticator, configuration: configuration.common.kafka, snapshot: snapshots, logger: logger)
    let coordinator = IngestCoordinator(producer: producer, topics: configuration.topics, state: state,
                                        correlation: configuration.correlation, logger: logger)
    let app = buildIngestorApplication(configuration: configuration, producer: producer, coordinator: coordinator,
                                       registry: registry, logger: logger)
    logger.info("alert-ingestor listening", metadata: ["host": "\(configuration.host)", "port": "\(configuration.port)",
                                                      "kafka": "\(configuration.common.kafka.bootstrapServers)"])
    return [ProducerService(producer), app] + configuration.snapshot.services(snapshots, configuration.common, logger: logger)
}
