import IncidentLog
import Kafka
import Logging
import Prometheus
import ServiceLifecycle

/// The services every consuming daemon runs: a consumer group on one topic
/// feeding a `ConsumeLoop`, the producer (flushed last at shutdown), and
/// `/healthz` `/readyz` `/metrics`. `/readyz` needs Kafka to answer and `readiness`
/// (the daemon's own dependencies) to find no problem.
public struct ConsumerDaemon<Handler: MessageHandler>: Sendable {
    public var name: String
    public var common: CommonConfiguration
    public var endpoint: ConsumerEndpoint
    public var topic: String
    public var handler: Handler
    public var producer: KafkaProducer
    public var readiness: @Sendable () async -> String? = { nil }
    /// Records of different lanes handled side by side (see `Lanes`); nil: one at a time.
    public var lanes: Lanes?

    public init(name: String, common: CommonConfiguration, endpoint: ConsumerEndpoint, topic: String, handler: Handler,
                producer: KafkaProducer, readiness: @escaping @Sendable () async -> String? = { nil }) {
        self.name = name; self.common = common; self.endpoint = endpoint; self.topic = topic; self.handler = handler
        self.producer = producer; self.readiness = readiness
    }

    /// Producer first (stopped last), then the operational endpoints, `extra`, and the loop.
    public func services(registry: PrometheusCollectorRegistry?, extra: [any Service] = [], logger: Logger) throws
        -> [any Service] {
        let consumer = try KafkaConsumer(configuration: endpoint.consumer(kafka: common.kafka, topics: [topic]), logger: logger)
        Observability.attachKafkaStatistics(consumer: consumer, group: endpoint.group, topics: [topic])
        var loop = ConsumeLoop(consumer: consumer, producer: producer, handler: handler, authenticator: common.authenticator,
                               group: endpoint.group, logger: logger)
        loop.lanes = lanes
        let (producer, topic, readiness) = (producer, topic, readiness)
        let ops = buildOperationalApplication(host: endpoint.host, port: endpoint.port, service: name, registry: registry) {
            // Ready when Kafka answers and the daemon's own dependencies do.
            do { _ = try await producer.partitionCount(topic: topic, timeout: .seconds(2)) } catch { return "kafka: \(error)" }
            return await readiness()
        }
        logger.info("\(name) started", metadata: ["group": "\(endpoint.group)", "topic": "\(topic)"])
        return [ProducerService(producer), ops] + extra + [loop]
    }
}
