import DaemonRuntime
import Foundation
import HTTPClient
import IncidentLog
import Kafka
import Logging
import Metrics

/// What a notification is about.
public enum Notice: Sendable {
    case approvalRequested(ApproverHandler.Pending)
    case escalated(incidentID: String, title: String, IncidentEscalated)
}
