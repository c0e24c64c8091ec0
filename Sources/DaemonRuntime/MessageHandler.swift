import Foundation
import DaemonRuntime
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
}
