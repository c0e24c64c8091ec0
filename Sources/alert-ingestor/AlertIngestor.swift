import ArgumentParser
import DaemonRuntime
import Foundation
import Hummingbird
import IncidentLog
import Ingest
import Kafka
import Logging
import ServiceLifecycle

/// alert-ingestor: the Alertmanager bridge. Accepts webhooks and
/// IncidentReports and opens incidents in the event log.
@main
struct AlertIngestor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alert-ingestor",
        abstract: "Receives Alertmanager webhooks and IncidentReports and appends incidents to the event log.")

    @Option(help: "Listen address (INGESTOR_HOST, default 127.0.0.1).") var host: String?
    @Option(help: "Listen port (INGESTOR_PORT, default 9095).") var port: Int?
    @Option(help: "Kafka bootstrap servers (KAFKA_BROKERS, default 127.0.0.1:9092).") var kafkaBrokers: String?
    @Option(help: "Topic name prefix (AIOPS_TOPIC_PREFIX).") var topicPrefix: String?
    @Option(help: "Required bearer token (INGESTOR_BEARER_TOKEN).") var bearerToken: String?
    @Option(help: "Basic-auth user (INGESTOR_BASIC_AUTH_USER; password in INGESTOR_BASIC_AUTH_PASSWORD).") var basicAuthUser: String?
    @Option(help: "Largest accepted request body (INGESTOR_MAX_BODY_BYTES, default 4 MiB).") var maxBodyBytes: Int?
    @Option(help: "How long a request waits for Kafka before 503 (KAFKA_DELIVERY_TIMEOUT_MS, default 10000).") var deliveryTimeoutMs: Int?

    func resolve() throws -> IngestorConfiguration {
        let src = ConfigSource()
        var c = IngestorConfiguration()
        c.host = src.string(host, env: "INGESTOR_HOST", default: c.host)
        c.port = try src.int(port, env: "INGESTOR_PORT", default: c.port)
        c.kafkaBrokers = src.string(kafkaBrokers, env: "KAFKA_BROKERS", default: c.kafkaBrokers)
        c.topicPrefix = src.string(topicPrefix, env: "AIOPS_TOPIC_PREFIX", default: c.topicPrefix)
        c.bearerToken = src.optionalString(bearerToken, env: "INGESTOR_BEARER_TOKEN")
        c.basicAuthUser = src.optionalString(basicAuthUser, env: "INGESTOR_BASIC_AUTH_USER")
        c.basicAuthPassword = src.optionalString(nil, env: "INGESTOR_BASIC_AUTH_PASSWORD")
        c.maxBodyBytes = try src.int(maxBodyBytes, env: "INGESTOR_MAX_BODY_BYTES", default: c.maxBodyBytes)
        c.deliveryTimeoutMs = try src.int(deliveryTimeoutMs, env: "KAFKA_DELIVERY_TIMEOUT_MS", default: c.deliveryTimeoutMs)
        c.retryAfterSeconds = try src.int(nil, env: "INGESTOR_RETRY_AFTER_SECONDS", default: c.retryAfterSeconds)
        c.kafkaProperties = try src.kafkaProperties()
        return c
    }

    func run() async throws {
        let config = try resolve()
        let registry = Observability.bootstrap(service: "alert-ingestor")
        let logger = Logger(label: "alert-ingestor")
        let producer = try KafkaProducer(configuration: config.producerConfiguration, logger: logger)
        Observability.attachKafkaStatistics(producer: producer, service: "alert-ingestor")
        // Rebuild before serving: a restarted ingestor must not reopen what is open.
        let state = try await IngestCoordinator.rebuildState(
            topics: config.topics, configuration: config.producerConfiguration.kafka, logger: logger)
        let coordinator = IngestCoordinator(producer: producer, topics: config.topics, state: state, logger: logger)
        let app = buildIngestorApplication(configuration: config, producer: producer, coordinator: coordinator,
                                           registry: registry, logger: logger)
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: ProducerService(producer)), .init(service: app)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        logger.info("alert-ingestor listening", metadata: ["host": "\(config.host)", "port": "\(config.port)",
                                                          "kafka": "\(config.kafkaBrokers)"])
        try await group.run()
    }
}
