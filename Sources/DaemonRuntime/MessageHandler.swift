import Foundation
import IncidentLog
import Kafka
import Logging
import Metrics
import ServiceLifecycle

/// What a daemon does with one input record: the records to produce. The loop
/// produces them, waits for their acknowledgement and only then stores the
/// input offset (at-least-once in, idempotent out).
public protocol MessageHandler: Sendable {
    func handle(_ message: KafkaConsumerMessage) async throws -> [KafkaOutgoingMessage]

    /// Records to write with the dead letter of an authentic `message` the handler could not handle (`error`):
    /// what keeps the incident from silently stopping — an escalation to humans, or an answer that says why
    /// there is none. Produced with the dead letter, before the offset moves. Default: nothing.
    func deadLettered(_ message: KafkaConsumerMessage, error: String) -> [KafkaOutgoingMessage]
}

extension MessageHandler {
    public func deadLettered(_ message: KafkaConsumerMessage, error: String) -> [KafkaOutgoingMessage] { [] }
}
