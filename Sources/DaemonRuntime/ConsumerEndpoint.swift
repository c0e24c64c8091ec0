import IncidentLog
import Kafka
import Logging
import Prometheus
import ServiceLifecycle

/// Where a consuming daemon consumes from and answers its operational endpoints.
public struct ConsumerEndpoint: Sendable, Hashable {
    public var group: String
    public var host: String
    public var port: Int
    /// `session.timeout.ms` of its consumer.
    public var sessionTimeoutMs: Int
    public init(group: String, host: String = "127.0.0.1", port: Int, sessionTimeoutMs: Int = 15_000) {
        self.group = group; self.host = host; self.port = port; self.sessionTimeoutMs = sessionTimeoutMs
    }

    /// The consumer of this endpoint's group on `topics`.
    public func consumer(kafka: KafkaConfiguration, topics: [String]) -> KafkaConsumerConfiguration {
        var c = KafkaConsumerConfiguration(kafka: kafka, groupID: group, topics: topics)
        c.sessionTimeoutMs = sessionTimeoutMs
        return c
    }
}
