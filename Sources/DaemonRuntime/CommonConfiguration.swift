import IncidentLog
import Kafka
import Logging

/// The settings every daemon reads the same way: Kafka, the topic prefix, the log level.
public struct CommonConfiguration: Sendable {
    public static let brokers = Setting("KAFKA_BROKERS", default: "127.0.0.1:9092", "Kafka bootstrap servers")
    public static let kafkaProperties = Setting(
        "KAFKA_PROPERTIES", default: "", "extra librdkafka properties, `k=v,k=v` (TLS, SASL, tuning)")
    public static let topicPrefix = Setting("AIOPS_TOPIC_PREFIX", flag: "topic-prefix", default: "",
                                            "prefix of every topic name (several stacks on one cluster)")
    public static let logLevel = Setting("LOG_LEVEL", default: "info", "trace, debug, info, notice, warning, error or critical")
    public static let settings = [brokers, kafkaProperties, topicPrefix, logLevel]

    public var kafka: KafkaConfiguration
    public var topics: TopicSet
    public var logLevel: Logger.Level

    public init(service: String, _ src: ConfigSource) throws {
        kafka = KafkaConfiguration(bootstrapServers: try src.string(Self.brokers), clientID: service)
        kafka.properties = try Self.parseProperties(try src.string(Self.kafkaProperties))
        kafka.statisticsIntervalMs = 15_000
        topics = TopicSet(prefix: try src.string(Self.topicPrefix))
        let level = try src.string(Self.logLevel)
        guard let l = Logger.Level(rawValue: level.lowercased()) else { throw ConfigError("LOG_LEVEL=\(level) is not a log level") }
        logLevel = l
    }

    /// A configuration for tests and tools: the given cluster and topics, nothing else set.
    public init(kafka: KafkaConfiguration, topics: TopicSet, logLevel: Logger.Level = .info) {
        self.kafka = kafka
        self.topics = topics
        self.logLevel = logLevel
    }

    /// `security.protocol=SASL_SSL,sasl.mechanism=SCRAM-SHA-512,…` → a dictionary.
    public static func parseProperties(_ raw: String) throws -> [String: String] {
        var out: [String: String] = [:]
        for pair in raw.split(separator: ",") {
            let kv = pair.split(separator: "=", maxSplits: 1)
            guard kv.count == 2, !kv[0].trimmingCharacters(in: .whitespaces).isEmpty else {
                throw ConfigError("KAFKA_PROPERTIES: \"\(pair)\" is not key=value")
            }
            out[kv[0].trimmingCharacters(in: .whitespaces)] = kv[1].trimmingCharacters(in: .whitespaces)
        }
        return out
    }
}
