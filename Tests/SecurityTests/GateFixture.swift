import Actions
import Approval
import DaemonRuntime
import Execution
import Foundation
import HTTPClient
import IncidentLog
import Kafka
import Logging
import ServiceLifecycle
import Synchronization
import TestSupport
import Triage

/// A running approval gate: approver, executor and reasoner started through
/// their build functions on a topic prefix of their own, with a catalog whose
/// destructive action appends to a marker file (its line count is how often a
/// destructive action really ran) and whose diagnostics dump the environment
/// or print secrets.
final class GateFixture: Sendable {
    let topics: TopicSet
    let approverPort: Int
    let marker: String
    let directory: URL
    let group: ServiceGroup
    let running: Task<Void, any Error>
    /// Why the daemons stopped, when they stopped before `stop()` (a test failure then says so).
    let ended = StopReason()
    /// Produces records signed as whatever producer the caller names (or unsigned).
    let forger: KafkaProducer
    static let token = "operator-token"

    init(name: String = #function) async throws {
        topics = try TestKafka.topics(name: name)
        directory = TestScratch.path("gate")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        marker = directory.appendingPathComponent("destructive-runs").path
        let restart = directory.appendingPathComponent("restart.sh").path
        try "#!/bin/sh\necho \"$1/$2\" >> \(marker)\necho restarted $2\n".write(toFile: restart, atomically: true, encoding: .utf8)
        let secrets = directory.appendingPathComponent("secrets.sh").path
        try """
            #!/bin/sh
            echo "APPROVAL_SIGNING_KEY=3q2+7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
            echo '{"private_key": "MC4CAQAwBQYDK2VwBCIEIP", "user": "ok"}'
            echo "db: postgresql://aiops:hunter2@db:5432/aiops"
            echo "Authorization: Bearer abcdefghijklmnop"
            echo "-----BEGIN PRIVATE KEY-----"
            echo "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7"

            """.write(toFile: secrets, atomically: true, encoding: .utf8)
        for f in [restart, secrets] { chmod(f, 0o755) }
        let catalog = directory.appendingPathComponent("catalog.yaml")
        try """
            actions:
              - {id: ops.restart, description: restart a deployment, risk: destructive, runner: command, executable: \(restart),
                 argv: ["{namespace}", "{deployment}"], timeout_seconds: 10, output_limit_bytes: 4096,
                 parameters: {namespace: {type: string, pattern: "[a-z0-9-]+"}, deployment: {type: string, pattern: "[a-z0-9-]+"}}}
              - {id: diag.env, description: the environment an action sees, risk: read_only, runner: command,
                 executable: /usr/bin/env, argv: [], parameters: {}, timeout_seconds: 10, output_limit_bytes: 65536}
              - {id: diag.secrets, description: a tool that prints secrets, risk: read_only, runner: command,
                 executable: \(secrets), argv: [], parameters: {}, timeout_seconds: 10, output_limit_bytes: 120}
            """.write(to: catalog, atomically: true, encoding: .utf8)
        let approvers = directory.appendingPathComponent("approvers.yaml")
        try "approvers: [{name: alice, token_sha256: \(ApproverDirectory.hash(Self.token)), roles: [approver]}]\n"
            .write(to: approvers, atomically: true, encoding: .utf8)
        approverPort = try freeLoopbackPort()
        let base: [String: String] = [
            "KAFKA_BROKERS": TestKafka.shared.bootstrapServers, "AIOPS_TOPIC_PREFIX": topics.prefix,
            "ACTIONS_CATALOG": catalog.path, "APPROVERS_FILE": approvers.path,
            "APPROVAL_POLICY": TestSchemas.repositoryRoot.appendingPathComponent("examples/actions/approval-policy.yaml").path,
            "APPROVER_PORT": String(approverPort), "EXECUTOR_PORT": String(try freeLoopbackPort()),
            "REASONER_PORT": String(try freeLoopbackPort()),
            "APPROVER_GROUP": TestKafka.uniqueGroup("approver"), "EXECUTOR_GROUP": TestKafka.uniqueGroup("executor"),
            "REASONER_GROUP": TestKafka.uniqueGroup("reasoner"),
        ]
        func env(_ producer: String) -> ConfigSource {
            ConfigSource(environment: base.merging(TestKeys.environment(producer)) { _, b in b })
        }
        let logger = TestKafka.logger
        var services: [any Service] = []
        services += try await buildApprover(try ApproverConfiguration(env("approver")), registry: nil, logger: logger)
        services += try await buildExecutor(try ExecutorConfiguration(env("executor")), registry: nil, logger: logger)
        services += try await buildReasoner(try ReasonerConfiguration(env("reasoner")), registry: nil, logger: logger)
        group = ServiceGroup(configuration: .init(services: services.map { .init(service: $0) }, logger: logger))
        running = Task { [group, ended] in
            do { try await group.run(); ended.record("the daemons stopped") } catch {
                ended.record("the daemons stopped: \(error)")
                throw error
            }
        }
        forger = try TestKafka.producer(signer: nil)
        try await waitUntilReady("http://127.0.0.1:\(approverPort)/readyz")
    }

    func stop() async throws {
        await group.triggerGracefulShutdown()
        try await running.value
        await forger.close()
    }

    /// Times a destructive action really ran.
    var destructiveRuns: Int { ((try? String(contentsOfFile: marker, encoding: .utf8)) ?? "").split(separator: "\n").count }

    /// Puts `event` on the incident log signed with `key` (nil: unsigned), as a compromised or absent producer would.
    func plant(_ event: IncidentEvent, signedWith key: ProducerKey?) async throws {
        var m = try IncidentEventCodec.encode(event, topics: topics)
        if let key { m = try RecordSigner(key: key).sign([m])[0] }
        try await forger.send(m)
    }

    /// Puts raw bytes on the incident log, signed with `key` when given.
    func plant(raw value: String, key recordKey: String, signedWith key: ProducerKey?) async throws {
        var m = KafkaOutgoingMessage(topic: topics.incidents, key: recordKey, value: Array(value.utf8))
        if let key { m = try RecordSigner(key: key).sign([m])[0] }
        try await forger.send(m)
    }

    /// A proposal as the reasoner would write it (signed with its key).
    func propose(_ action: String, _ parameters: [String: String], incident: String) async throws -> IncidentEvent {
        let e = IncidentEvent.derived(incidentID: incident, producer: "reasoner", causationID: UUID().uuidString, step: "propose",
                                      trace: .newRoot(), payload: .actionProposed(ActionProposed(
                                        action: action, parameters: parameters, rationale: "test", citations: [])))
        try await plant(e, signedWith: TestKeys.key("reasoner"))
        return e
    }

    /// Why the daemons stopped early, or "running".
    var state: String { ended.reason.withLock { $0 } ?? "running" }

    func pendingApprovals() async throws -> String {
        try await HTTPClient().request("GET", "http://127.0.0.1:\(approverPort)/api/v1/approvals",
                                       headers: ["Authorization": "Bearer \(Self.token)"]).text
    }

    func approve(_ requestID: String) async throws -> Int {
        try await HTTPClient().request("POST", "http://127.0.0.1:\(approverPort)/api/v1/approvals/\(requestID)/approve",
                                       headers: ["Authorization": "Bearer \(Self.token)", "Content-Type": "application/json"],
                                       body: Array(#"{"reason":"checked"}"#.utf8)).status
    }
}

/// Why a group of daemons stopped (nil while they run).
final class StopReason: Sendable {
    let reason = Mutex<String?>(nil)
    func record(_ why: String) { reason.withLock { $0 = $0 ?? why } }
}
