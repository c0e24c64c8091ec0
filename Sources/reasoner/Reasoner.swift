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

/// reasoner: the bounded agent loop, with the built-in or the LLM planner.
@main
struct Reasoner: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reasoner",
        abstract: "Proposes diagnostics and triage from the retrieved evidence, within bounds.",
        discussion: """
            Environment: KAFKA_BROKERS, KAFKA_PROPERTIES, AIOPS_TOPIC_PREFIX, DATABASE_URL, EMBEDDINGS_DIMENSIONS,
            ACTIONS_CATALOG (examples/actions/catalog.yaml), REASONER_PLANNER (builtin | llm), REASONER_MAX_ITERATIONS (10),
            REASONER_MAX_WALL_SECONDS (1800), REASONER_MAX_TOKENS (60000), REASONER_NO_PROGRESS (3), REASONER_DIAGNOSTICS (true),
            REASONER_GROUP (aiops-reasoner), REASONER_HOST/REASONER_PORT (127.0.0.1:9100).
            LLM planner: LLM_URL (http://127.0.0.1:8080/v1), LLM_MODEL, LLM_API_KEY, LLM_TIMEOUT_MS (60000),
            LLM_MAX_COMPLETION_TOKENS (1024), LLM_ATTEMPTS (3), LLM_RETRIES (3), LLM_TOOL_CHOICE (required | auto).
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
                                    maxWallSeconds: Double(try src.int(nil, env: "REASONER_MAX_WALL_SECONDS", default: 1_800)),
                                    maxTokens: try src.int(nil, env: "REASONER_MAX_TOKENS", default: 60_000),
                                    noProgressIterations: try src.int(nil, env: "REASONER_NO_PROGRESS", default: 3),
                                    diagnostics: src.string(nil, env: "REASONER_DIAGNOSTICS", default: "true") != "false")
        let planner: any TriagePlanner
        switch src.string(nil, env: "REASONER_PLANNER", default: "builtin") {
        case "builtin":
            planner = BuiltinPlanner(catalog: catalog)
        case "llm":
            let llm = try LLMConfiguration.fromEnvironment(src)
            planner = LLMPlanner(client: try ChatCompletionsClient(configuration: llm, logger: logger), catalog: catalog,
                                 logger: logger)
            logger.info("LLM planner", metadata: ["url": "\(llm.baseURL)", "model": "\(llm.model)"])
        case let other:
            throw ConfigError("REASONER_PLANNER must be builtin or llm, not \(other)")
        }
        let handler = ReasonerHandler(planner: planner, catalog: catalog, store: store,
                                      topics: settings.topics, bounds: bounds, logger: logger)
        // Rebuild every incident's state before acting: a restart never repeats a step.
        try await IncidentLogReader.forEachEvent(topics: settings.topics, configuration: settings.kafka, logger: logger) {
            _ = handler.observe($0)
        }
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(kafka: settings.kafka), logger: logger)
        try await ConsumerDaemon.run(
            service: "reasoner", topic: settings.topics.incidents,
            group: src.string(nil, env: "REASONER_GROUP", default: "aiops-reasoner"), settings: settings,
            producer: producer, handler: handler, registry: registry,
            host: src.string(nil, env: "REASONER_HOST", default: "127.0.0.1"),
            port: try src.int(nil, env: "REASONER_PORT", default: 9100), logger: logger) {
                do { _ = try await store.counts(); return nil } catch { return "postgres: \(error)" }
            }
    }
}
