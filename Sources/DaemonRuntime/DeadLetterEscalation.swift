import Foundation
import IncidentLog
import Kafka

/// The escalation a daemon appends when an authentic event it had to act on is dead-lettered: the incident
/// goes to humans with what happened, instead of silently stopping.
public enum DeadLetterEscalation {
    public static func event(for event: IncidentEvent, producer: String, what: String, error: String) -> IncidentEvent {
        .derived(incidentID: event.incidentID, producer: producer, causationID: event.eventID, step: "escalate:dead-letter",
                 trace: event.trace.child(), payload: .incidentEscalated(IncidentEscalated(
                    reason: "\(producer) could not handle \(event.type) \(event.eventID): \(String(error.prefix(500)))",
                    summary: "\(what) A human has to take this incident over; the record is on the dead-letter topic and in `aiops replay \(event.incidentID)`.")))
    }
}
