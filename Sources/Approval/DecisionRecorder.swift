import Crypto
import DaemonRuntime
import Foundation
import HTTPTypes
import HTTPClient
import Hummingbird
import IncidentLog
import Kafka
import Logging
import NIOCore
import Prometheus
import Synchronization
import Yams

/// Records a human decision: 404 when nothing is pending under that id, 503 when Kafka did not take it.
struct DecisionRecorder: Sendable {
    let handler: ApproverHandler
    let producer: KafkaProducer
    let topics: TopicSet
    let logger: Logger
    /// Requests whose decision is on its way to Kafka: a second decision meanwhile is refused, not raced.
    let inFlight = InFlight()

    final class InFlight: Sendable {
        let ids = Mutex<Set<String>>([])
    }

    func record(_ id: String, by who: String, approve: Bool, reason: String, via: String) async -> Response {
        guard inFlight.ids.withLock({ $0.insert(id).inserted }) else {
            return errorResponse(.conflict, code: "in_progress", "a decision on \(id) is being recorded")
        }
        defer { _ = inFlight.ids.withLock { $0.remove(id) } }
        let event: IncidentEvent
        do {
            event = try handler.decision(requestID: id, approver: who, approve: approve, reason: reason)
        } catch {
            return errorResponse(.notFound, code: "not_found", "no pending approval \(id)")
        }
        do {
            try await producer.send(try IncidentEventCodec.encode(event, topics: topics))
        } catch {
            // Not recorded: the request stays pending and the decision can be sent again.
            return errorResponse(.serviceUnavailable, code: "kafka_unavailable", "\(error)")
        }
        handler.observe(event)
        logger.info("approval decided", metadata: ["request": "\(id)", "approver": "\(who)",
                                                   "decision": "\(approve ? "approve" : "reject")", "via": "\(via)"])
        return jsonResponse(.ok, ["event_id": event.eventID, "type": event.type, "approver": who,
                                  "text": "\(approve ? "Approved" : "Rejected") by \(who)"])
    }
}
