import Foundation
import IncidentLog
import Kafka

/// Kafka encoding of incident events: JSON value, incident id as key, and the
/// type, id and W3C trace context also as headers (so tools can route and
/// trace without parsing the value).
public enum IncidentEventCodec {
    public static func encode(_ event: IncidentEvent, topics: TopicSet) throws -> KafkaOutgoingMessage {
        let value = try event.jsonBytes()
        var headers = [
            KafkaHeader(key: "event_type", string: event.type),
            KafkaHeader(key: "event_id", string: event.eventID),
            KafkaHeader(key: "content-type", string: "application/json"),
            KafkaHeader(key: "traceparent", string: event.trace.traceparent),
        ]
        if let state = event.trace.tracestate, !state.isEmpty {
            headers.append(KafkaHeader(key: "tracestate", string: state))
        }
        return KafkaOutgoingMessage(topic: topics.incidents, key: event.incidentID, value: value,
                                    headers: headers)
    }

    public static func decode(_ message: KafkaConsumerMessage) throws -> IncidentEvent {
        try JSONDecoder().decode(IncidentEvent.self, from: Data(message.value))
    }
}
