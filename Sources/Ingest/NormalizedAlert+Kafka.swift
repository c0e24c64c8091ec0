import IncidentLog
import Kafka

extension NormalizedAlert {
    /// The record on `aiops.alerts.v1` (key = fingerprint).
    public func message(topics: TopicSet, trace: TraceContext) throws -> KafkaOutgoingMessage {
        KafkaOutgoingMessage(topic: topics.alerts, key: fingerprint, value: jsonBytes(),
                             headers: [KafkaHeader(key: "content-type", string: "application/json"),
                                       KafkaHeader(key: "traceparent", string: trace.traceparent)])
    }
}
