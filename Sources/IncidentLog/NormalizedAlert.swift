import Foundation
import Kafka

/// One alert as received (aiops.alerts.v1, key = fingerprint).
public struct NormalizedAlert: Sendable, Hashable, Codable {
    public var alertID: String
    public var fingerprint: String
    public var status: String
    public var alertname: String
    public var startsAt: String
    public var endsAt: String?
    public var generatorURL: String?
    public var groupKey: String
    public var receiver: String
    public var externalURL: String?
    public var receivedAt: String
    public var labels: [String: String]
    public var annotations: [String: String]

    public init(alertID: String, fingerprint: String, status: String, alertname: String, startsAt: String,
                endsAt: String?, generatorURL: String?, groupKey: String, receiver: String, externalURL: String?,
                receivedAt: String, labels: [String: String], annotations: [String: String]) {
        self.alertID = alertID; self.fingerprint = fingerprint; self.status = status; self.alertname = alertname
        self.startsAt = startsAt; self.endsAt = endsAt; self.generatorURL = generatorURL; self.groupKey = groupKey
        self.receiver = receiver; self.externalURL = externalURL; self.receivedAt = receivedAt
        self.labels = labels; self.annotations = annotations
    }

    enum CodingKeys: String, CodingKey {
        case fingerprint, status, alertname, receiver, labels, annotations
        case alertID = "alert_id", startsAt = "starts_at", endsAt = "ends_at", generatorURL = "generator_url"
        case groupKey = "group_key", externalURL = "external_url", receivedAt = "received_at"
    }

    public func message(topics: TopicSet, trace: TraceContext) throws -> KafkaOutgoingMessage {
        KafkaOutgoingMessage(topic: topics.alerts, key: fingerprint, value: jsonBytes(),
                             headers: [KafkaHeader(key: "content-type", string: "application/json"),
                                       KafkaHeader(key: "traceparent", string: trace.traceparent)])
    }
}

/// A message that could not be handled (aiops.deadletter.v1).
public struct DeadLetter: Sendable, Hashable, Codable {
    public var sourceTopic: String
    public var sourcePartition: Int32
    public var sourceOffset: Int64
    public var sourceKey: String?
    public var consumerGroup: String
    public var error: String
    public var attempts: Int
    public var failedAt: String
    public var valueBase64: String

    public init(source: KafkaConsumerMessage, consumerGroup: String, error: String, attempts: Int, failedAt: Date) {
        sourceTopic = source.topic
        sourcePartition = source.partition
        sourceOffset = source.offset
        sourceKey = source.keyString
        self.consumerGroup = consumerGroup
        self.error = error
        self.attempts = attempts
        self.failedAt = RFC3339.format(failedAt)
        valueBase64 = Data(source.value).base64EncodedString()
    }

    enum CodingKeys: String, CodingKey {
        case error, attempts
        case sourceTopic = "source_topic", sourcePartition = "source_partition", sourceOffset = "source_offset"
        case sourceKey = "source_key", consumerGroup = "consumer_group", failedAt = "failed_at"
        case valueBase64 = "value_base64"
    }

    public func message(topics: TopicSet) throws -> KafkaOutgoingMessage {
        KafkaOutgoingMessage(topic: topics.deadLetter, key: "\(sourceTopic)/\(sourcePartition)/\(sourceOffset)",
                             value: Array(try JSONEncoder().encode(self)),
                             headers: [KafkaHeader(key: "content-type", string: "application/json")])
    }
}
