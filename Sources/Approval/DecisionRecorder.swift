import DaemonRuntime
import Foundation
import Hummingbird
import IncidentLog
import Kafka
import Logging
import Synchronization
import Tracing

/// The one writer of decisions on pending approvals: a human's approval or
/// rejection (API, page, Slack) and the expiry. Each request is claimed while
/// its decision is on its way to Kafka, so a decision and an expiry never both
/// land; what Kafka did not acknowledge is not folded in (the request stays
/// pending and is decided, or expired, again).
public final class DecisionRecorder: Sendable {
    let handler: ApproverHandler
    let producer: KafkaProducer
    let topics: TopicSet
    let logger: Logger
    private let inFlight = Mutex<Set<String>>([])

    public init(handler: ApproverHandler, producer: KafkaProducer, topics: TopicSet, logger: Logger) {
        self.handler = handler
        self.producer = producer
        self.topics = topics
        self.logger = logger
    }

    private func claim(_ id: String) -> Bool { inFlight.withLock { $0.insert(id).inserted } }
    private func release(_ id: String) { _ = inFlight.withLock { $0.remove(id) } }

    /// A human decision: 404 when nothing is pending under that id, 409 while another decision on it is
    /// being written, 503 when Kafka did not take it.
    func record(_ id: String, by who: String, approve: Bool, reason: String, via: String) async -> Response {
        guard claim(id) else {
            return errorResponse(.conflict, code: "in_progress", "a decision on \(id) is being recorded")
        }
        defer { release(id) }
        // The human's decision is a span of the incident's trace, the child of the request it answers.
        return await Spans.run("decide approval", kind: .internal, parent: handler.pending(id)?.trace) { a in
            a["aiops.approval.request_id"] = id
            a["aiops.approver"] = who
            a["aiops.approver.kind"] = "human"
            a["aiops.decision"] = approve ? "approve" : "reject"
            a["aiops.via"] = via
        } _: { _ in
            await decide(id, by: who, approve: approve, reason: reason, via: via)
        }
    }

    private func decide(_ id: String, by who: String, approve: Bool, reason: String, via: String) async -> Response {
        let event: IncidentEvent
        do {
            event = try handler.decision(requestID: id, approver: who, approve: approve, reason: reason)
        } catch let error as ApproverError where error.kind == .expired {
            return errorResponse(.conflict, code: "expired", error.message)
        } catch {
            return errorResponse(.notFound, code: "not_found", "no pending approval \(id)")
        }
        do {
            try await producer.send(try IncidentEventCodec.encode(event, topics: topics))
        } catch {
            return errorResponse(.serviceUnavailable, code: "kafka_unavailable", "\(error)")
        }
        handler.observe(event)
        logger.info("approval decided", metadata: ["request": "\(id)", "approver": "\(who)",
                                                   "decision": "\(approve ? "approve" : "reject")", "via": "\(via)"])
        return jsonResponse(.ok, ["event_id": event.eventID, "type": event.type, "approver": who,
                                  "text": "\(approve ? "Approved" : "Rejected") by \(who)"])
    }

    /// Expires what is due and not being decided right now; returns how many were recorded.
    /// A failed write leaves the request pending: the next call tries it again.
    @discardableResult
    public func expireDue(now: Date = Date()) async -> Int {
        var recorded = 0
        for p in handler.due(now: now) where claim(p.request.requestID) {
            defer { release(p.request.requestID) }
            // Decided meanwhile? Then it is not pending any more and there is nothing to expire.
            guard handler.pending(p.request.requestID) != nil else { continue }
            let events = handler.expiry(of: p, now: now)
            do {
                try await producer.send(try events.map { try IncidentEventCodec.encode($0, topics: topics) })
            } catch {
                logger.warning("could not record an expired approval; it stays pending and is tried again",
                               metadata: ["request": "\(p.request.requestID)", "error": "\(error)"])
                continue
            }
            for e in events { handler.observe(e) }
            recorded += 1
        }
        return recorded
    }
}
