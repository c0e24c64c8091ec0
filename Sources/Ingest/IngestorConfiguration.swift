import DaemonRuntime
import Foundation
import IncidentLog
import Kafka
import Logging

/// alert-ingestor's configuration. Each field: flag > environment > default.
public struct IngestorConfiguration: DaemonConfiguration {
    public static let daemon = "alert-ingestor"
    public static let abstract = "Receives Alertmanager webhooks and IncidentReports and appends incidents to the event log."

    static let host = Setting("INGESTOR_HOST", flag: "host", default: "127.0.0.1", "address to listen on")
    static let port = Setting("INGESTOR_PORT", flag: "port", default: "9095", "port of the webhook API, `/healthz`, `/readyz`, `/metrics`")
    static let bearerToken = Setting("INGESTOR_BEARER_TOKEN", flag: "bearer-token", secret: true,
                                     "required `Authorization: Bearer` token (no auth when neither this nor basic auth is set)")
    static let basicAuthUser = Setting("INGESTOR_BASIC_AUTH_USER", flag: "basic-auth-user", "accepted basic-auth user")
    static let basicAuthPassword = Setting("INGESTOR_BASIC_AUTH_PASSWORD", secret: true, "its password")
    static let maxBodyBytes = Setting("INGESTOR_MAX_BODY_BYTES", flag: "max-body-bytes", default: "4194304",
                                      "larger requests get 413")
    static let deliveryTimeout = Setting("KAFKA_DELIVERY_TIMEOUT_MS", flag: "delivery-timeout-ms", default: "10000",
                                         "how long a request waits for Kafka before 503")
    static let retryAfter = Setting("INGESTOR_RETRY_AFTER_SECONDS", default: "5", "`Retry-After` sent with 503")
    static let correlateBy = Setting("INGESTOR_CORRELATE_BY", flag: "correlate-by", default: "",
                                     "comma-separated labels that split an Alertmanager group into incidents (e.g. `alertname`); empty: one incident per group, as Alertmanager's `group_by` declares")

    public static let settings = CommonConfiguration.settings + SnapshotConfiguration.settings + [
        host, port, bearerToken, basicAuthUser, basicAuthPassword, maxBodyBytes, deliveryTimeout, retryAfter, correlateBy,
    ]

    public var common: CommonConfiguration
    /// Start-up snapshots (off unless AIOPS_STATE_DIR is set).
    public var snapshot = SnapshotConfiguration(directory: nil)
    public var host = "127.0.0.1"
    public var port = 9095
    public var bearerToken: String?
    public var basicAuthUser: String?
    public var basicAuthPassword: String?
    public var maxBodyBytes = 4 * 1024 * 1024
    public var deliveryTimeoutMs = 10_000
    public var retryAfterSeconds = 5
    public var correlation = Correlation()

    /// The defaults with the given Kafka, topics and keys (tests and tools).
    public init(common: CommonConfiguration) {
        self.common = common
    }

    public init(_ src: ConfigSource) throws {
        common = try CommonConfiguration(service: Self.daemon, src)
        snapshot = try SnapshotConfiguration(src)
        host = try src.string(Self.host)
        port = try src.int(Self.port)
        bearerToken = try src.optional(Self.bearerToken)
        basicAuthUser = try src.optional(Self.basicAuthUser)
        basicAuthPassword = try src.optional(Self.basicAuthPassword)
        maxBodyBytes = try src.int(Self.maxBodyBytes)
        deliveryTimeoutMs = try src.int(Self.deliveryTimeout)
        retryAfterSeconds = try src.int(Self.retryAfter)
        let labels = try src.string(Self.correlateBy).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        if let bad = labels.first(where: { !$0.isEmpty && !Self.isLabelName($0) }) {
            throw ConfigError("\(Self.correlateBy.env): \"\(bad)\" is not a Prometheus label name")
        }
        correlation = Correlation(labels: labels)
    }

    public var topics: TopicSet { common.topics }

    static func isLabelName(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic) else { return false }
        return s.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
    }

    public var requiresAuth: Bool { bearerToken != nil || basicAuthUser != nil }

    public var producerConfiguration: KafkaProducerConfiguration {
        var c = KafkaProducerConfiguration(kafka: common.kafka)
        c.deliveryTimeoutMs = deliveryTimeoutMs
        return c
    }
}
