import IncidentLog
import Kafka
import Logging

/// The settings every daemon reads the same way: Kafka, the topic prefix, the log level.
public struct CommonConfiguration: Sendable {
    public static let brokers = Setting("KAFKA_BROKERS", default: "127.0.0.1:9092", "Kafka bootstrap servers")
    public static let kafkaProperties = Setting(
        "KAFKA_PROPERTIES", default: "", secret: true,
        "extra librdkafka properties, `k=v,k=v` (TLS, SASL/SCRAM, tuning; see docs/security.md)")
    public static let topicPrefix = Setting("AIOPS_TOPIC_PREFIX", flag: "topic-prefix", default: "",
                                            "prefix of every topic name (several stacks on one cluster)")
    public static let logLevel = Setting("LOG_LEVEL", default: "info", "trace, debug, info, notice, warning, error or critical")
    public static let signingKey = Setting(
        "AIOPS_SIGNING_KEY_FILE", flag: "signing-key-file",
        "required: this daemon's Ed25519 key file (`aiops keys generate`); it signs every record the daemon writes")
    public static let trustedKeys = Setting(
        "AIOPS_TRUSTED_KEYS_FILE", flag: "trusted-keys-file",
        "required: the public keys of every producer; records not signed by the producer they name are dead-lettered")
    public static let settings = [brokers, kafkaProperties, topicPrefix, logLevel, signingKey, trustedKeys]

    public var kafka: KafkaConfiguration
    public var topics: TopicSet
    public var logLevel: Logger.Level
    /// This daemon's signing key: its producer name is the daemon's.
    public var key: ProducerKey
    /// Whom this daemon believes.
    public var keyring: Keyring

    /// Signs what this daemon produces.
    public var signer: RecordSigner { RecordSigner(key: key) }
    /// Checks what this daemon consumes.
    public var authenticator: RecordAuthenticator { RecordAuthenticator(keyring: keyring, topics: topics) }

    public init(service: String, _ src: ConfigSource) throws {
        kafka = KafkaConfiguration(bootstrapServers: try src.string(Self.brokers), clientID: service)
        kafka.properties = try Self.kafkaProperties(src)
        kafka.statisticsIntervalMs = 15_000
        topics = TopicSet(prefix: try src.string(Self.topicPrefix))
        let level = try src.string(Self.logLevel)
        guard let l = Logger.Level(rawValue: level.lowercased()) else { throw ConfigError("LOG_LEVEL=\(level) is not a log level") }
        logLevel = l
        key = try ProducerKey.load(path: try src.string(Self.signingKey))
        guard key.producer == service else {
            throw ConfigError("AIOPS_SIGNING_KEY_FILE holds the key of \(key.producer), not of \(service)")
        }
        keyring = try Keyring.load(path: try src.string(Self.trustedKeys))
    }

    /// A configuration for tests and tools: the given cluster, topics and keys.
    public init(kafka: KafkaConfiguration, topics: TopicSet, key: ProducerKey, keyring: Keyring, logLevel: Logger.Level = .info) {
        self.kafka = kafka
        self.topics = topics
        self.key = key
        self.keyring = keyring
        self.logLevel = logLevel
    }

    /// A producer that signs with this daemon's key.
    public func producer(_ configuration: KafkaProducerConfiguration? = nil, logger: Logger) throws -> KafkaProducer {
        try KafkaProducer(configuration: configuration ?? KafkaProducerConfiguration(kafka: kafka), signer: signer, logger: logger)
    }

    /// `KAFKA_PROPERTIES` (or the file `KAFKA_PROPERTIES_FILE` names), parsed: what the daemons and the operator's
    /// commands add to every Kafka client (TLS, SASL/SCRAM).
    public static func kafkaProperties(_ src: ConfigSource) throws -> [String: String] {
        try parseProperties(try src.string(kafkaProperties))
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
