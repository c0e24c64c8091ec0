import Approval
import DaemonRuntime
import Embedding
import Execution
import Foundation
import HTTPClient
import Ingest
import Logging
import Retrieval
import ServiceLifecycle
import TestSupport
import Testing
import Triage

/// Every daemon started the way its `main` starts it: its configuration read
/// from a temporary environment, its services from its build function, then
/// `/healthz`, `/readyz` and `/metrics` asked over HTTP and a graceful stop.
@Suite("Daemons start through their build functions", .serialized)
struct DaemonBuildTests {
    static let repo = TestSchemas.repositoryRoot

    /// The environment every daemon of one test shares: the mock cluster, a topic prefix of its own.
    static func environment(_ producer: String, _ name: String = #function) throws -> [String: String] {
        let topics = try TestKafka.topics(name: name)
        return ["KAFKA_BROKERS": TestKafka.shared.bootstrapServers, "AIOPS_TOPIC_PREFIX": topics.prefix,
                "ACTIONS_CATALOG": repo.appendingPathComponent("examples/actions/catalog.yaml").path,
                "APPROVAL_POLICY": repo.appendingPathComponent("examples/actions/approval-policy.yaml").path,
                "APPROVER_GROUP": TestKafka.uniqueGroup(), "EXECUTOR_GROUP": TestKafka.uniqueGroup(),
                "REASONER_GROUP": TestKafka.uniqueGroup(), "RETRIEVER_GROUP": TestKafka.uniqueGroup(),
                "EMBEDDER_GROUP": TestKafka.uniqueGroup()]
            .merging(TestKeys.environment(producer)) { a, _ in a }
    }

    /// Runs `services` until the endpoints at `port` answered, then stops them gracefully.
    static func check(_ services: [any Service], port: Int, metric: String) async throws {
        let group = ServiceGroup(configuration: .init(services: services.map { .init(service: $0) }, logger: TestKafka.logger))
        let running = Task { try await group.run() }
        let base = "http://127.0.0.1:\(port)"
        try await waitUntilReady("\(base)/healthz")
        try await waitUntilReady("\(base)/readyz")
        let metrics = try await HTTPClient().request("GET", "\(base)/metrics")
        #expect(metrics.status == 200)
        #expect(metrics.text.contains(metric), "\(metric) is served at /metrics")
        await group.triggerGracefulShutdown()
        try await running.value
    }

    @Test func alertIngestor() async throws {
        let port = try freeLoopbackPort()
        var env = try Self.environment("alert-ingestor")
        env["INGESTOR_PORT"] = String(port)
        let c = try IngestorConfiguration(ConfigSource(environment: env))
        try await Self.check(try await buildIngestor(c, registry: TestMetrics.registry, logger: TestKafka.logger), port: port,
                             metric: "aiops_ingest_alerts_total")
    }

    @Test func retrieverAndEmbedder() async throws {
        var env = try Self.environment("retriever")
        env["DATABASE_URL"] = try TestPostgres.database()
        env["EMBEDDINGS_URL"] = try TestEmbeddings.baseURL.get()
        env["RETRIEVER_PORT"] = String(try freeLoopbackPort())
        env["EMBEDDER_PORT"] = String(try freeLoopbackPort())
        let retriever = try RetrieverConfiguration(ConfigSource(environment: env))
        try await Self.check(try await buildRetriever(retriever, registry: TestMetrics.registry, logger: TestKafka.logger),
                             port: retriever.endpoint.port, metric: "aiops_consumer_messages_total")
        let embedder = try EmbedderConfiguration(ConfigSource(environment: env.merging(TestKeys.environment("embedder")) { _, b in b }))
        try await Self.check(try await buildEmbedder(embedder, registry: TestMetrics.registry, logger: TestKafka.logger),
                             port: embedder.endpoint.port, metric: "aiops_embedder_documents_total")
    }

    @Test func reasonerNeedsNoDatabase() async throws {
        var env = try Self.environment("reasoner")
        env["REASONER_PORT"] = String(try freeLoopbackPort())
        env["DATABASE_URL"] = "postgresql://nobody@127.0.0.1:1/none"
        let c = try ReasonerConfiguration(ConfigSource(environment: env))
        try await Self.check(try await buildReasoner(c, registry: TestMetrics.registry, logger: TestKafka.logger),
                             port: c.endpoint.port, metric: "aiops_consumer_messages_total")
    }

    @Test func approverServesMetricsAndReadiness() async throws {
        var env = try Self.environment("approver")
        env["APPROVER_PORT"] = String(try freeLoopbackPort())
        let approvers = TestScratch.path("approvers", suffix: ".yaml")
        try "approvers: [{name: alice, token_sha256: \(ApproverDirectory.hash("t")), roles: [approver]}]\n"
            .write(to: approvers, atomically: true, encoding: .utf8)
        env["APPROVERS_FILE"] = approvers.path
        let c = try ApproverConfiguration(ConfigSource(environment: env))
        try await Self.check(try await buildApprover(c, registry: TestMetrics.registry, logger: TestKafka.logger),
                             port: c.endpoint.port, metric: "aiops_consumer_messages_total")
    }

    @Test func executor() async throws {
        var env = try Self.environment("executor")
        env["EXECUTOR_PORT"] = String(try freeLoopbackPort())
        let c = try ExecutorConfiguration(ConfigSource(environment: env))
        try await Self.check(try await buildExecutor(c, registry: TestMetrics.registry, logger: TestKafka.logger),
                             port: c.endpoint.port, metric: "aiops_executor_actions_total")
    }

    @Test func anExecutorWhoseSnapshotForgetsSoonerThanAnApprovalLastsDoesNotStart() async throws {
        var env = try Self.environment("executor")
        env["EXECUTOR_PORT"] = String(try freeLoopbackPort())
        env["AIOPS_STATE_DIR"] = TestScratch.path("exec").path
        env["AIOPS_SNAPSHOT_RETAIN_HOURS"] = "0.25" // 900 s; the example policy: a 900 s wait plus 600 s of validity
        let c = try ExecutorConfiguration(ConfigSource(environment: env))
        do {
            _ = try await buildExecutor(c, registry: nil, logger: TestKafka.logger)
            Issue.record("the executor started with a snapshot that forgets actions an approval could still ask for")
        } catch let error as ConfigError {
            #expect("\(error)".contains("AIOPS_SNAPSHOT_RETAIN_HOURS=0.25") && "\(error)".contains("approval_valid_seconds 600"))
        }
    }

    @Test func missingRequiredSettingsAreNamed() throws {
        var env = try Self.environment("executor")
        #expect(throws: ConfigError.self, "another daemon's key") {
            try ExecutorConfiguration(ConfigSource(environment: env.merging(TestKeys.environment("approver")) { _, b in b }))
        }
        env["AIOPS_TRUSTED_KEYS_FILE"] = nil
        #expect(throws: ConfigError.self) { try ExecutorConfiguration(ConfigSource(environment: env)) }
        #expect(throws: ConfigError.self) { try ReasonerConfiguration(ConfigSource(environment: ["REASONER_PLANNER": "magic"])) }
    }
}
