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

    @Option(help: "This tool's Ed25519 key file (AIOPS_SIGNING_KEY_FILE): what it writes is signed with it.")
    public var signingKeyFile: String?
    @Option(help: "Public keys of every producer (AIOPS_TRUSTED_KEYS_FILE): records they did not sign are skipped.")
    public var trustedKeysFile: String?

    public var brokers: String { ConfigSource().string(kafkaBrokers, env: "KAFKA_BROKERS", default: "127.0.0.1:9092") }
    public var topics: TopicSet { TopicSet(prefix: ConfigSource().string(topicPrefix, env: "AIOPS_TOPIC_PREFIX", default: "")) }
    /// The cluster with the daemons' `KAFKA_PROPERTIES` (or `KAFKA_PROPERTIES_FILE`): TLS and SASL/SCRAM reach the
    /// operator's commands too (docs/security.md).
    public var configuration: KafkaConfiguration {
        get throws {
            var c = KafkaConfiguration(bootstrapServers: brokers, clientID: "aiops-cli")
            c.properties = try CommonConfiguration.kafkaProperties(ConfigSource())
            return c
        }
    }

    /// A producer signing with the key of `producer` (the operator tools write as `corpus-sync`).
    public func signedProducer(as producer: String) throws -> KafkaProducer {
        guard let path = ConfigSource().optionalString(signingKeyFile, env: "AIOPS_SIGNING_KEY_FILE") else {
            throw ValidationError("a signing key is needed to write: --signing-key-file or AIOPS_SIGNING_KEY_FILE (aiops keys generate)")
        }
        let key = try ProducerKey.load(path: path)
        guard key.producer == producer else { throw ValidationError("\(path) is the key of \(key.producer), not of \(producer)") }
        return try KafkaProducer(configuration: KafkaProducerConfiguration(kafka: try configuration), signer: RecordSigner(key: key),
                                 logger: cliLogger())
    }

    /// Checks records against the trusted keys, when they are configured.
    public func authenticator() throws -> RecordAuthenticator? {
        try keyring().map { RecordAuthenticator(keyring: $0, topics: topics) }
    }

    /// The trusted producers' keys, if a file was named.
    public func keyring() throws -> Keyring? {
        guard let path = ConfigSource().optionalString(trustedKeysFile, env: "AIOPS_TRUSTED_KEYS_FILE") else { return nil }
        return try Keyring.load(path: path)
    }
}

public func cliLogger(_ label: String = "aiops") -> Logger {
    var l = Logger(label: label)
    l.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0) } ?? .error
    return l
}
