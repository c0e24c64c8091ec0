import Foundation
import IncidentLog
import Kafka
import Logging
import Prometheus
import ServiceLifecycle

/// The wiring every consuming daemon's `main` shares: a consumer group on one
/// topic feeding a `ConsumeLoop`, `/healthz` `/readyz` `/metrics`, and a
/// `ServiceGroup` that shuts down in reverse order on SIGTERM/SIGINT.
public enum ConsumerDaemon {
    public static func run<Handler: MessageHandler>(
        service: String, topic: String, group: String, settings: DaemonSettings, producer: KafkaProducer,
        handler: Handler, registry: PrometheusCollectorRegistry, host: String, port: Int,
        extraServices: [any Service] = [], logger: Logger,
        ready: @escaping @Sendable () async -> String? = { nil }
    ) async throws {
        let consumer = try KafkaConsumer(configuration: KafkaConsumerConfiguration(kafka: settings.kafka, groupID: group,
                                                                                   topics: [topic]),
                                         logger: logger)
        Observability.attachKafkaStatistics(consumer: consumer, group: group, topics: [topic])
        let loop = ConsumeLoop(consumer: consumer, producer: producer, handler: handler, topics: settings.topics,
                               group: group, logger: logger)
        let ops = buildOperationalApplication(host: host, port: port, service: service, registry: registry, ready: ready)
        logger.info("\(service) started", metadata: ["group": "\(group)", "topic": "\(topic)"])
        let services: [ServiceGroupConfiguration.ServiceConfiguration] =
            [.init(service: ProducerService(producer)), .init(service: ops)]
            + extraServices.map { .init(service: $0) } + [.init(service: loop)]
        try await ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint],
                                                    logger: logger)).run()
    }
}
