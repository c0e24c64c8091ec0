import Actions
import ArgumentParser
import DaemonRuntime
import Foundation
import IncidentLog
import Kafka
import Logging
import Retrieval
import ServiceLifecycle
import Triage

/// reasoner: the bounded agent loop with the built-in planner.
@main
struct Reasoner: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reasoner",
        abstract: "Proposes diagnostics and triage from the retrieved evidence, within bounds.",
        discussion: """
            Environment: KAFKA_BROKERS, KAFKA_PROPERTIES, AIOPS_TOPIC_PREFIX, DATABASE_URL, EMBEDDINGS_DIMENSIONS,
            ACTIONS_CATALOG (examples/actions/catalog.yaml), REASONER_MAX_ITERATIONS (10),
            REASONER_MAX_WALL_SECONDS (1800), REASONER_GROUP (aiops-reasoner), REASONER_HOST/REASONER_PORT (127.0.0.1:9100).
            """)

    func run() async throws {
        let src = ConfigSource()
        let registry = Observability.bootstrap(service: "reasoner")
        let logger = Logger(label: "reasoner")
        let settings = try DaemonSettings(service: "reasoner", source: src)
        let catalog = try ActionCatalog.load(path: src.string(nil, env: "ACTIONS_CATALOG", default: "examples/actions/catalog.yaml"))
        let store = IndexStore(url: settings.databaseURL, dimensions: try src.int(nil, env: "EMBEDDINGS_DIMENSIONS", default: 384),
                               logger: logger)
        let bounds = ReasonerBounds(maxIterations: try src.int(nil, env: "REASONER_MAX_ITERATIONS", default: 10),
                                    maxWallSeconds: Double(try src.int(nil, env: "REASONER_MAX_WALL_SECONDS", default: 1_800)))
        let handler = ReasonerHandler(planner: BuiltinPlanner(catalog: catalog), store: store, topics: settings.topics,
                                      bounds: bounds, logger: logger)
        // Rebuild every incident's state before acting: a restart never repeats a step.
        let reader = try KafkaTopicReader(topic: settings.topics.incidents, configuration: settings.kafka, logger: logger)
        for m in try await reader.readToEnd() { if let e = try? IncidentEventCodec.decode(m) { _ = handler.observe(e) } }
        let group = src.string(nil, env: "REASONER_GROUP", default: "aiops-reasoner")
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(kafka: settings.kafka), logger: logger)
        let consumer = try KafkaConsumer(configuration: KafkaConsumerConfiguration(kafka: settings.kafka, groupID: group,
                                                                                   topics: [settings.topics.incidents]),
                                         logger: logger)
        let loop = ConsumeLoop(consumer: consumer, producer: producer, handler: handler, topics: settings.topics,
                               group: group, logger: logger)
        let ops = buildOperationalApplication(
            host: src.string(nil, env: "REASONER_HOST", default: "127.0.0.1"),
            port: try src.int(nil, env: "REASONER_PORT", default: 9100), service: "reasoner", registry: registry) {
                do { _ = try await store.counts(); return nil } catch { return "postgres: \(error)" }
            }
        logger.info("reasoner started", metadata: ["group": "\(group)", "max_iterations": "\(bounds.maxIterations)"])
        try await ServiceGroup(configuration: .init(
            services: [.init(service: ProducerService(producer)), .init(service: ops), .init(service: loop)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)).run()
    }
}
