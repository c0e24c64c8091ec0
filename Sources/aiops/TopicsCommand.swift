import ArgumentParser
import Foundation
import OperatorCLI
import IncidentLog
import Kafka
import DaemonRuntime

struct TopicsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "topics", abstract: "The declared topics.",
                                                    subcommands: [List.self, Create.self, ACLs.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the topics of topics/.")
        @OptionGroup var kafka: KafkaOptions
        func run() async throws {
            for t in kafka.topics.descriptors {
                print("\(t.name)\tpartitions=\(t.partitions)\tkey=\(t.key)\tcleanup.policy=\(t.cleanupPolicy)\tretention.ms=\(t.retentionMs)")
            }
        }
    }

    struct ACLs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "acls",
            abstract: "Print each daemon's and tool's Kafka principal with the topics and groups it may use.",
            discussion: "strimzi: KafkaUsers (deploy/kafka/kafka-users.yaml); script: SCRAM users and ACLs through Kafka's own tools (deploy/compose/kafka/acls.sh).")
        @Option(help: "strimzi or script.") var format = "strimzi"
        @Option(help: "Topic name prefix (AIOPS_TOPIC_PREFIX).") var topicPrefix: String?

        func run() async throws {
            let topics = TopicSet(prefix: ConfigSource().string(topicPrefix, env: "AIOPS_TOPIC_PREFIX", default: ""))
            guard let f = KafkaACLDocument.Format(rawValue: format) else {
                throw ValidationError("--format \(format): not one of \(KafkaACLDocument.Format.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            print(KafkaACLDocument.render(f, topics: topics), terminator: "")
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create the topics of topics/ on a cluster (admin API; existing topics are left alone).")
        @OptionGroup var kafka: KafkaOptions
        @Option(help: "Replication factor.") var replicationFactor = 3
        @Option(help: "Override every topic's partition count.") var partitions: Int?

        func run() async throws {
            let specs = kafka.topics.descriptors.map {
                KafkaTopicSpec(name: $0.name, partitions: partitions ?? $0.partitions,
                               replicationFactor: replicationFactor, config: $0.config)
            }
            let result = try await KafkaAdmin.createTopics(specs, configuration: try kafka.configuration, logger: cliLogger())
            var failed = false
            for s in specs {
                switch result[s.name] {
                case .created: print("created \(s.name)")
                case .alreadyExists: print("exists  \(s.name)")
                case .failed(let why): print("FAILED  \(s.name): \(why)"); failed = true
                case nil: print("FAILED  \(s.name): no answer"); failed = true
                }
            }
            if failed { throw ExitCode.failure }
        }
    }
}

struct Dev: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Local development helpers.",
                                                    subcommands: [Broker.self])

    struct Broker: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run librdkafka's in-memory mock cluster with the topics of topics/, until stopped.")
        @Option(help: "Topic name prefix (AIOPS_TOPIC_PREFIX).") var topicPrefix: String?
        @Option(help: "Number of mock brokers.") var brokers = 1
        @Option(help: "Also write the bootstrap address to this file.") var bootstrapFile: String?

        func run() async throws {
            let topics = TopicSet(prefix: ConfigSource().string(topicPrefix, env: "AIOPS_TOPIC_PREFIX", default: ""))
            let cluster = try KafkaMockCluster(brokers: brokers, logger: cliLogger("dev-broker"))
            for t in topics.descriptors { try cluster.createTopic(t.name, partitions: t.partitions) }
            if let bootstrapFile {
                try (cluster.bootstrapServers + "\n").write(toFile: bootstrapFile, atomically: true, encoding: .utf8)
            }
            print("KAFKA_BROKERS=\(cluster.bootstrapServers)")
            fflush(nil) // flush every stdio stream: the stack script reads this line
            await waitForTermination()
            print("dev broker stopped (everything it held is gone)")
            _ = cluster
        }
    }
}

/// Suspends until SIGINT or SIGTERM.
func waitForTermination() async {
    await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
        let once = OnceBox(c)
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .main)
            source.setEventHandler { once.resume() }
            source.resume()
            OnceBox.keep(source)
        }
    }
}

final class OnceBox: @unchecked Sendable {
    // @unchecked: `continuation` is only touched on the main queue (signal handlers).
    private var continuation: CheckedContinuation<Void, Never>?
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []
    init(_ c: CheckedContinuation<Void, Never>) { continuation = c }
    func resume() { continuation?.resume(); continuation = nil }
    static func keep(_ s: DispatchSourceSignal) { sources.append(s) }
}
