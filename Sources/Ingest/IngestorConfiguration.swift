import DaemonRuntime
import Foundation
import IncidentLog
import Kafka

/// alert-ingestor's configuration. Each field: flag > environment > default.
public struct IngestorConfiguration: Sendable {
    /// `--host` / `INGESTOR_HOST`: address to listen on.
    public var host = "127.0.0.1"
    /// `--port` / `INGESTOR_PORT`.
    public var port = 9095
    /// `--kafka-brokers` / `KAFKA_BROKERS`: bootstrap servers.
    public var kafkaBrokers = "127.0.0.1:9092"
    /// `--topic-prefix` / `AIOPS_TOPIC_PREFIX`: prefix of every topic name.
    public var topicPrefix = ""
    /// `--bearer-token` / `INGESTOR_BEARER_TOKEN`: required `Authorization: Bearer` token, if set.
    public var bearerToken: String?
    /// `--basic-auth-user` / `INGESTOR_BASIC_AUTH_USER` and `INGESTOR_BASIC_AUTH_PASSWORD`: accepted basic-auth credentials, if set.
    public var basicAuthUser: String?
    public var basicAuthPassword: String?
    /// `--max-body-bytes` / `INGESTOR_MAX_BODY_BYTES`: larger requests get 413.
    public var maxBodyBytes = 4 * 1024 * 1024
    /// `--delivery-timeout-ms` / `KAFKA_DELIVERY_TIMEOUT_MS`: how long a request waits for Kafka before 503.
    public var deliveryTimeoutMs = 10_000
    /// `--retry-after-seconds` / `INGESTOR_RETRY_AFTER_SECONDS`: `Retry-After` sent with 503.
    public var retryAfterSeconds = 5
    /// `KAFKA_PROPERTIES`: extra librdkafka properties (TLS, SASL, tuning), `k=v,k=v`.
    public var kafkaProperties: [String: String] = [:]

    public init() {}

    public var topics: TopicSet { TopicSet(prefix: topicPrefix) }

    public var requiresAuth: Bool { bearerToken != nil || basicAuthUser != nil }

    public var producerConfiguration: KafkaProducerConfiguration {
        var c = KafkaProducerConfiguration(kafka: KafkaConfiguration(bootstrapServers: kafkaBrokers,
                                                                     clientID: "alert-ingestor"))
        c.deliveryTimeoutMs = deliveryTimeoutMs
        c.kafka.statisticsIntervalMs = 15_000
        c.kafka.properties = kafkaProperties
        return c
    }
}
