import ArgumentParser
import DaemonRuntime
import Foundation
import IncidentLog
import Kafka
import Logging

/// Options every command that talks to Kafka shares.
public struct KafkaOptions: ParsableArguments {
    public init() {}
    @Option(help: "Kafka bootstrap servers (KAFKA_BROKERS, default 127.0.0.1:9092).") public var kafkaBrokers: String?
    @Option(help: "Topic name prefix (AIOPS_TOPIC_PREFIX).") public var topicPrefix: String?

    public var brokers: String { ConfigSource().string(kafkaBrokers, env: "KAFKA_BROKERS", default: "127.0.0.1:9092") }
    public var topics: TopicSet { TopicSet(prefix: ConfigSource().string(topicPrefix, env: "AIOPS_TOPIC_PREFIX", default: "")) }
    public var configuration: KafkaConfiguration { KafkaConfiguration(bootstrapServers: brokers, clientID: "aiops-cli") }
}

public func cliLogger(_ label: String = "aiops") -> Logger {
    var l = Logger(label: label)
    l.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0) } ?? .error
    return l
}
