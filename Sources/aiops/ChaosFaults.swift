import DaemonRuntime
import Foundation
import IncidentLog
import Kafka
import Logging
import Postgres
import Synchronization

/// The faults of a chaos run, on a schedule fixed by the seed.
enum ChaosFaults {
    /// What was done: the faults in order, and the values of the bad records put on the log.
    final class Record: Sendable {
        let faults = Mutex<[String]>([])
        let injected = Mutex<[[UInt8]]>([])
    }

    enum Fault: Sendable, CustomStringConvertible {
        case kill(String)
        case brokerDown(seconds: Double)
        case produceErrors(count: Int)
        case fetchErrors(count: Int)
        case inject
        /// The run's database refuses connections and its open ones are cut (as a restart or failover does).
        case postgresDown(seconds: Double)
        /// The run's own embeddings server stopped, then started again.
        case embeddingsDown(seconds: Double)

        var description: String {
            switch self {
            case .kill(let d): "kill -9 \(d)"
            case .brokerDown(let s): "broker down \(Int(s)) s"
            case .produceErrors(let n): "\(n) produce errors"
            case .fetchErrors(let n): "\(n) fetch errors"
            case .inject: "bad records"
            case .postgresDown(let s): "PostgreSQL down \(Int(s)) s"
            case .embeddingsDown(let s): "embeddings server down \(Int(s)) s"
            }
        }
    }

    /// (seconds from the start, fault), in order: kills every `killEvery` s (each daemon at least once when
    /// the run is long enough), the broker down once, produce and fetch errors, and bad records twice.
    static func schedule(duration: Int, killEvery: Double, daemons: [String], rng: inout SeededRandom) -> [(Double, Fault)] {
        var out: [(Double, Fault)] = []
        var t = killEvery
        var order = daemons.shuffled(using: &rng)
        while t < Double(duration) {
            if order.isEmpty { order = daemons.shuffled(using: &rng) }
            out.append((t, .kill(order.removeFirst())))
            t += killEvery * Double.random(in: 0.7...1.3, using: &rng)
        }
        let d = Double(duration)
        out.append((d * 0.35, .brokerDown(seconds: 4)))
        out.append((d * 0.5, .produceErrors(count: 30)))
        out.append((d * 0.55, .fetchErrors(count: 30)))
        out.append((d * 0.25, .inject))
        out.append((d * 0.75, .inject))
        out.append((d * 0.42, .postgresDown(seconds: 6)))
        out.append((d * 0.65, .embeddingsDown(seconds: 6)))
        return out.sorted { $0.0 < $1.0 }
    }

    /// What the PostgreSQL and embeddings faults act on.
    struct Dependencies: Sendable {
        /// A connection URL to the server's `postgres` database, and the run's database on it.
        var adminURL: String
        var database: String
        /// The supervisor's name of the run's own embeddings server; nil when the run uses a shared one (not stopped).
        var embeddings: String?
    }

    static func run(_ schedule: [(Double, Fault)], supervisor: ChaosSupervisor, cluster: KafkaMockCluster, keys: KeySet,
                    topics: TopicSet, dependencies: Dependencies, record: Record, logger: Logger) async throws {
        let start = ContinuousClock.now
        for (at, fault) in schedule {
            let due = start + .milliseconds(Int(at * 1000))
            if due > ContinuousClock.now { try await Task.sleep(until: due) }
            record.faults.withLock { $0.append("\(Int(at))s \(fault)") }
            switch fault {
            case .kill(let name):
                supervisor.kill(name)
                try await Task.sleep(for: .milliseconds(Int.random(in: 300...2_000)))
                try supervisor.start(name)
            case .brokerDown(let seconds):
                try cluster.setAllBrokers(up: false)
                try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
                try cluster.setAllBrokers(up: true)
            case .produceErrors(let n):
                cluster.pushRequestErrors(apiKey: 0, count: n, error: 7) // REQUEST_TIMED_OUT
            case .fetchErrors(let n):
                cluster.pushRequestErrors(apiKey: 1, count: n, error: 6) // NOT_LEADER_OR_FOLLOWER
            case .postgresDown(let seconds):
                let admin = try await PostgresConnection.connect(dependencies.adminURL, logger: logger)
                _ = try await admin.query("ALTER DATABASE \(dependencies.database) ALLOW_CONNECTIONS false")
                _ = try await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                                          [dependencies.database])
                try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
                _ = try await admin.query("ALTER DATABASE \(dependencies.database) ALLOW_CONNECTIONS true")
            case .embeddingsDown(let seconds):
                guard let name = dependencies.embeddings else {
                    record.faults.withLock { $0.append("(skipped: the embeddings server is shared; pass --embeddings-server)") }
                    continue
                }
                supervisor.stop(name)
                try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
                try supervisor.start(name)
            case .inject:
                let records = try badRecords(keys: keys, topics: topics)
                record.injected.withLock { $0 += records.map(\.1.value) }
                for (signer, record) in records {
                    let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(kafka: KafkaConfiguration(
                        bootstrapServers: cluster.bootstrapServers, clientID: "chaos-inject")), signer: signer, logger: logger)
                    try await producer.sendUntilAcknowledged([record], logger: logger)
                    await producer.close()
                }
            }
        }
    }

    /// Records no consumer may act on, each with the signer it is sent with: garbage, an unsigned event, an
    /// event signed by a producer that does not own its type, one with a malformed trace context, an oversized one.
    static func badRecords(keys: KeySet, topics: TopicSet) throws -> [((any KafkaRecordSigner)?, KafkaOutgoingMessage)] {
        let incident = EventIDs.incident(source: "chaos", parts: [UUID().uuidString])
        func event(_ producer: String, _ payload: IncidentEventPayload) throws -> KafkaOutgoingMessage {
            try IncidentEventCodec.encode(.derived(incidentID: incident, producer: producer, causationID: "chaos", step: UUID().uuidString,
                                                   trace: .newRoot(), payload: payload), topics: topics)
        }
        let approval = ActionApproved(requestID: "ev-" + String(repeating: "a", count: 32), action: "kubectl.rollout-restart",
                                      parameters: ["namespace": "payments", "deployment": "payments-api"], risk: "destructive",
                                      approver: Approver(name: "mallory", kind: .human), reason: "forged", issuedAt: Date(),
                                      validFor: 600)
        var garbage = KafkaOutgoingMessage(topic: topics.incidents, key: incident, value: Array("{not json".utf8))
        garbage.headers = []
        var badTrace = try event("retriever", .retrievalCompleted(RetrievalCompleted(
            query: "q", found: false, reason: "chaos", model: "m", postmortems: [], runbooks: [])))
        badTrace.value = Array(String(decoding: badTrace.value, as: UTF8.self)
            .replacingOccurrences(of: #""traceparent":"00-"#, with: #""traceparent":"garbage-"#).utf8)
        var oversized = KafkaOutgoingMessage(topic: topics.incidents, key: incident,
                                             value: Array(repeating: UInt8(ascii: "x"), count: 700_000))
        oversized.headers = []
        return [
            (RecordSigner(key: try keys.key(EventOwnership.ingestor)), garbage),
            (nil, try event("approver", .actionApproved(approval))),                               // unsigned
            (RecordSigner(key: try keys.key("reasoner")), try event("reasoner", .actionApproved(approval))), // not its type
            (RecordSigner(key: try keys.key("retriever")), badTrace),
            (RecordSigner(key: try keys.key("executor")), oversized),
        ]
    }
}
