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
            approver), EXECUTOR_CONCURRENCY (4: actions running at once), EXECUTOR_GROUP (aiops-executor),
            EXECUTOR_HOST/EXECUTOR_PORT (127.0.0.1:9099).
            """)

    func run() async throws {
        let src = ConfigSource()
        let registry = Observability.bootstrap(service: "executor")
        let logger = Logger(label: "executor")
        let settings = try DaemonSettings(service: "executor", source: src)
        let signingKey = SymmetricKey(data: try src.approvalSigningKey())
        let catalog = try ActionCatalog.load(path: src.string(nil, env: "ACTIONS_CATALOG", default: "examples/actions/catalog.yaml"))
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(kafka: settings.kafka), logger: logger)
        let ledger = ExecutionLedger()
        // Rebuild before acting: never run twice what the log says already started.
        try await IncidentLogReader.forEachEvent(topics: settings.topics, configuration: settings.kafka, logger: logger) {
            ledger.apply($0)
        }
        let handler = ExecutorHandler(catalog: catalog, approvalKey: signingKey, producer: producer,
                                      topics: settings.topics, ledger: ledger,
                                      concurrency: try src.int(nil, env: "EXECUTOR_CONCURRENCY", default: 4), logger: logger)
        try await ConsumerDaemon.run(
            service: "executor", topic: settings.topics.incidents,
            group: src.string(nil, env: "EXECUTOR_GROUP", default: "aiops-executor"), settings: settings,
            producer: producer, handler: handler, registry: registry,
            host: src.string(nil, env: "EXECUTOR_HOST", default: "127.0.0.1"),
            port: try src.int(nil, env: "EXECUTOR_PORT", default: 9099), logger: logger)
    }
}
