import Actions
import ArgumentParser
import Crypto
import DaemonRuntime
import Execution
import Foundation
import IncidentLog
import Kafka
import Logging
import ServiceLifecycle

/// executor: runs approved actions from the catalog, at most once each.
@main
struct Executor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "executor",
        abstract: "Runs approved actions (ActionApproved) from the action catalog, at most once each.",
        discussion: """
            Environment: KAFKA_BROKERS, KAFKA_PROPERTIES, AIOPS_TOPIC_PREFIX, ACTIONS_CATALOG
            (examples/actions/catalog.yaml), APPROVAL_SIGNING_KEY (required: the HMAC key shared with the
            approver), EXECUTOR_GROUP (aiops-executor), EXECUTOR_HOST/EXECUTOR_PORT (127.0.0.1:9099).
            """)

    func run() async throws {
        let src = ConfigSource()
        let registry = Observability.bootstrap(service: "executor")
        let logger = Logger(label: "executor")
        let settings = try DaemonSettings(service: "executor", source: src)
        let signingKey = SymmetricKey(data: try src.approvalSigningKey())
        let catalog = try ActionCatalog.load(path: src.string(nil, env: "ACTIONS_CATALOG", default: "examples/actions/catalog.yaml"))
        let group = src.string(nil, env: "EXECUTOR_GROUP", default: "aiops-executor")
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(kafka: settings.kafka), logger: logger)
        let ledger = ExecutionLedger()
        // Rebuild before acting: never run twice what the log says already started.
        try await ExecutorHandler.rebuild(ledger, topics: settings.topics, configuration: settings.kafka, logger: logger)
        let handler = ExecutorHandler(catalog: catalog, approvalKey: signingKey,
                                      producer: producer, topics: settings.topics, ledger: ledger, logger: logger)
        let consumer = try KafkaConsumer(configuration: KafkaConsumerConfiguration(kafka: settings.kafka, groupID: group,
                                                                                   topics: [settings.topics.incidents]),
                                         logger: logger)
        let loop = ConsumeLoop(consumer: consumer, producer: producer, handler: handler, topics: settings.topics,
                               group: group, logger: logger)
        let ops = buildOperationalApplication(
            host: src.string(nil, env: "EXECUTOR_HOST", default: "127.0.0.1"),
            port: try src.int(nil, env: "EXECUTOR_PORT", default: 9099), service: "executor", registry: registry) { nil }
        logger.info("executor started", metadata: ["group": "\(group)", "actions": "\(catalog.actions.count)"])
        try await ServiceGroup(configuration: .init(
            services: [.init(service: ProducerService(producer)), .init(service: ops), .init(service: loop)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)).run()
    }
}
