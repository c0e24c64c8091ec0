import DaemonRuntime
import Foundation
import HTTPClient
import IncidentLog
import Kafka
import Logging
import Metrics

/// Reads the incident log (its own consumer group) and notifies for every
/// approval still pending and every recent escalation. It reads after the
/// events are in the log, so nobody is told about an approval that was not
/// recorded; a new group reading old records only repeats what still matters.
public final class NotificationHandler: MessageHandler, Sendable {
    let approver: ApproverHandler
    public let notifier: Notifier
    /// Escalations older than this are history, not news.
    let maxEscalationAge: TimeInterval

    public init(approver: ApproverHandler, notifier: Notifier, maxEscalationAge: TimeInterval = 3_600) {
        self.approver = approver
        self.notifier = notifier
        self.maxEscalationAge = maxEscalationAge
    }

    public func handle(_ message: KafkaConsumerMessage) async throws -> [KafkaOutgoingMessage] {
        guard let event = try? IncidentEventCodec.decode(message), let notice = notice(for: event) else { return [] }
        await notifier.send(notice)
        return []
    }

    public func notice(for event: IncidentEvent, now: Date = Date()) -> Notice? {
        switch event.payload {
        case .approvalRequested(let r):
            // Decided or expired meanwhile (or on a replay of old records): nothing to ask anymore.
            return approver.pending(r.requestID).map { .approvalRequested($0) }
        case .incidentEscalated(let e):
            guard now.timeIntervalSince(event.occurredAt) < maxEscalationAge else { return nil }
            return .escalated(incidentID: event.incidentID, title: approver.title(of: event.incidentID) ?? event.incidentID, e)
        default:
            return nil
        }
    }
}
