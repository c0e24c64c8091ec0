import Foundation
import IncidentLog

/// What the ingestor remembers, all of it rebuildable from the incident log:
/// the open incident of each alert group and recently seen alert occurrences.
public struct IngestState: Sendable {
    public struct OpenIncident: Sendable, Hashable {
        public var id: String
        /// Alert fingerprint → firing? and the alert id of its last status.
        public var alerts: [String: TrackedAlert] = [:]
        /// The trace of its IncidentOpened: what later webhooks' events for it join.
        public var trace: TraceContext?

        public init(id: String, alerts: [String: TrackedAlert] = [:], trace: TraceContext? = nil) {
            self.id = id
            self.alerts = alerts
            self.trace = trace
        }
    }

    public struct TrackedAlert: Sendable, Hashable {
        public var firing: Bool
        public var startsAt: String
    }

    /// Open incident per group key (Alertmanager group or IncidentReport).
    public var open: [String: OpenIncident] = [:]
    /// Alert ids (group + fingerprint + status + startsAt) already ingested.
    public var recent = RecentSet(capacity: 200_000)

    public init() {}

    /// Folds an incident event this ingestor wrote back into the state (restart).
    public mutating func apply(_ event: IncidentEvent, groupOf incidents: inout [String: String]) {
        switch event.payload {
        case .incidentOpened(let p):
            incidents[event.incidentID] = p.groupKey
            open[p.groupKey] = OpenIncident(id: event.incidentID, trace: event.trace)
        case .alertAttached(let p):
            recent.insert(p.alertID)
            guard let g = incidents[event.incidentID], open[g]?.id == event.incidentID else { return }
            open[g]?.alerts[p.fingerprint] = TrackedAlert(firing: true, startsAt: p.startsAt)
        case .alertResolved(let p):
            recent.insert(p.alertID)
            guard let g = incidents[event.incidentID], open[g]?.id == event.incidentID else { return }
            open[g]?.alerts[p.fingerprint]?.firing = false
        case .incidentResolved:
            if let g = incidents[event.incidentID], open[g]?.id == event.incidentID { open[g] = nil }
        default:
            break
        }
    }
}
