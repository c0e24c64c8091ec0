import Foundation
import IncidentLog
import Kafka

/// Configuration lookup: command-line flag > environment variable > default.
/// Every daemon resolves its documented configuration struct through this.
public struct ConfigSource: Sendable {
    public var environment: [String: String]

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    public func string(_ flag: String?, env: String, default value: String) -> String {
        flag ?? environment[env].flatMap { $0.isEmpty ? nil : $0 } ?? value
    }

    public func optionalString(_ flag: String?, env: String) -> String? {
        flag ?? environment[env].flatMap { $0.isEmpty ? nil : $0 }
    }

    public func int(_ flag: Int?, env: String, default value: Int) throws -> Int {
        if let flag { return flag }
        guard let raw = environment[env], !raw.isEmpty else { return value }
        guard let v = Int(raw) else { throw ConfigError("\(env)=\(raw) is not an integer") }
        return v
    }
}

public struct ConfigError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension ConfigSource {
    /// Extra librdkafka properties from `KAFKA_PROPERTIES`
    /// (`security.protocol=SASL_SSL,sasl.mechanism=PLAIN,…`), for what the typed
    /// settings do not cover (TLS, SASL, tuning).
    public func kafkaProperties(_ flag: String? = nil) throws -> [String: String] {
        guard let raw = optionalString(flag, env: "KAFKA_PROPERTIES") else { return [:] }
        var out: [String: String] = [:]
        for pair in raw.split(separator: ",") {
            let kv = pair.split(separator: "=", maxSplits: 1)
            guard kv.count == 2, !kv[0].isEmpty else {
                throw ConfigError("KAFKA_PROPERTIES: \"\(pair)\" is not key=value")
            }
            out[kv[0].trimmingCharacters(in: .whitespaces)] = kv[1].trimmingCharacters(in: .whitespaces)
        }
        return out
    }
}

/// The Kafka and database settings every consuming daemon reads the same way:
/// `KAFKA_BROKERS`, `KAFKA_PROPERTIES`, `AIOPS_TOPIC_PREFIX`, `DATABASE_URL`.
public struct DaemonSettings: Sendable {
    public var kafka: KafkaConfiguration
    public var topics: TopicSet
    public var databaseURL: String

    public static let defaultDatabaseURL = "postgresql://aiops@127.0.0.1:5433/aiops"

    public init(service: String, source src: ConfigSource = ConfigSource()) throws {
        kafka = KafkaConfiguration(bootstrapServers: src.string(nil, env: "KAFKA_BROKERS", default: "127.0.0.1:9092"),
                                   clientID: service)
        kafka.properties = try src.kafkaProperties()
        kafka.statisticsIntervalMs = 15_000
        topics = TopicSet(prefix: src.string(nil, env: "AIOPS_TOPIC_PREFIX", default: ""))
        databaseURL = src.string(nil, env: "DATABASE_URL", default: Self.defaultDatabaseURL)
    }
}

extension ConfigSource {
    /// `APPROVAL_SIGNING_KEY`: the HMAC key only the approver and the executor hold.
    public func approvalSigningKey() throws -> Data {
        guard let secret = optionalString(nil, env: "APPROVAL_SIGNING_KEY"), secret.utf8.count >= 32 else {
            throw ConfigError("APPROVAL_SIGNING_KEY must be set to at least 32 bytes (shared by approver and executor)")
        }
        return Data(secret.utf8)
    }
}
