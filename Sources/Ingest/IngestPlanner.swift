import Foundation
import IncidentLog

/// What one webhook delivery turns into: raw alert records, incident events,
/// and the group's state once they are acknowledged. Pure: no I/O, so a retried
/// delivery plans exactly the same ids.
public struct IngestPlan: Sendable {
    public var alerts: [NormalizedAlert] = []
    public var events: [IncidentEvent] = []
    public var newGroupState: IngestState.OpenIncident?
    public var seenAlertIDs: [String] = []
    public var duplicates = 0
    public var incidentID: String?
}

public enum IngestPlanner {
    public static let producer = "alert-ingestor"

    /// Plans a webhook against the group's current open incident.
    public static func plan(_ webhook: AlertmanagerWebhook, open: IngestState.OpenIncident?, recent: RecentSet,
                            receivedAt: Date, trace: TraceContext) -> IngestPlan {
        var plan = IngestPlan()
        var incident = open
        let received = RFC3339.format(receivedAt)
        var seenNow: Set<String> = []
        // Alerts of one delivery mostly share their times: normalize each distinct one once.
        var normalized: [String: String] = [:]
        func normalize(_ t: String) -> String {
            if let n = normalized[t] { return n }
            let n = IngestPlanner.normalize(t)
            normalized[t] = n
            return n
        }

        // The incident id derives from the group and the earliest new firing alert,
        // so a retried or duplicated delivery opens the same incident.
        let firingStarts = webhook.alerts.filter { $0.status == "firing" }.map { normalize($0.startsAt) }
        for alert in webhook.alerts {
            let startsAt = normalize(alert.startsAt)
            let alertID = EventIDs.alert(groupKey: webhook.groupKey, fingerprint: alert.fingerprint,
                                         status: alert.status, startsAt: startsAt)
            if recent.contains(alertID) || !seenNow.insert(alertID).inserted {
                plan.duplicates += 1
                continue
            }
            let labels = alert.labels
            if alert.status == "firing" {
                if incident == nil {
                    let opening = firingStarts.min() ?? startsAt
                    let id = EventIDs.incident(source: "alertmanager", parts: [webhook.groupKey, opening])
                    let openedTrace = trace.child()
                    incident = IngestState.OpenIncident(id: id, trace: openedTrace)
                    plan.events.append(.derived(
                        incidentID: id, producer: producer, causationID: alertID, step: "opened:\(id)",
                        trace: openedTrace, occurredAt: receivedAt,
                        payload: .incidentOpened(opened(webhook, first: alert))))
                }
                if let tracked = incident?.alerts[alert.fingerprint], tracked.firing, tracked.startsAt == startsAt {
                    plan.duplicates += 1
                    continue
                }
                let id = incident!.id
                incident!.alerts[alert.fingerprint] = .init(firing: true, startsAt: startsAt)
                plan.events.append(.derived(
                    incidentID: id, producer: producer, causationID: alertID, step: "attach:\(id)",
                    trace: trace.child(), occurredAt: receivedAt,
                    payload: .alertAttached(AlertAttached(
                        alertID: alertID, fingerprint: alert.fingerprint, alertname: alert.alertname,
                        startsAt: startsAt, generatorURL: alert.generatorURL.isEmpty ? nil : alert.generatorURL,
                        labels: labels, annotations: alert.annotations))))
            } else if let current = incident, current.alerts[alert.fingerprint]?.firing == true {
                incident!.alerts[alert.fingerprint]?.firing = false
                plan.events.append(.derived(
                    incidentID: current.id, producer: producer, causationID: alertID, step: "resolve:\(current.id)",
                    trace: trace.child(), occurredAt: receivedAt,
                    payload: .alertResolved(AlertResolved(
                        alertID: alertID, fingerprint: alert.fingerprint, alertname: alert.alertname,
                        startsAt: startsAt, endsAt: normalize(alert.endsAt)))))
            }
            plan.seenAlertIDs.append(alertID)
            plan.alerts.append(NormalizedAlert(
                alertID: alertID, fingerprint: alert.fingerprint, status: alert.status, alertname: alert.alertname,
                startsAt: startsAt, endsAt: RFC3339.isZeroTime(alert.endsAt) ? nil : normalize(alert.endsAt),
                generatorURL: alert.generatorURL.isEmpty ? nil : alert.generatorURL, groupKey: webhook.groupKey,
                receiver: webhook.receiver, externalURL: webhook.externalURL.isEmpty ? nil : webhook.externalURL,
                receivedAt: received, labels: labels, annotations: alert.annotations))
        }

        if let current = incident, !current.alerts.isEmpty, current.alerts.values.allSatisfy({ !$0.firing }) {
            plan.events.append(.derived(
                incidentID: current.id, producer: producer, causationID: current.id, step: "resolved",
                trace: trace.child(), occurredAt: receivedAt,
                payload: .incidentResolved(IncidentResolved(reason: "all \(current.alerts.count) alert(s) resolved"))))
            incident = nil
        }
        plan.newGroupState = incident
        plan.incidentID = incident?.id ?? open?.id ?? plan.events.first?.incidentID
        return plan
    }

    /// Startss/ends normalized to millisecond UTC, so HA peers that print
    /// different precision still agree on ids.
    static func normalize(_ time: String) -> String {
        RFC3339.parse(time).map(RFC3339.format) ?? time
    }

    static func opened(_ w: AlertmanagerWebhook, first: AlertmanagerWebhook.Alert) -> IncidentOpened {
        let labels = w.commonLabels.isEmpty ? first.labels : w.commonLabels
        let annotations = w.commonAnnotations.isEmpty ? first.annotations : w.commonAnnotations
        let name = labels["alertname"] ?? first.alertname
        let summary = annotations["summary"] ?? annotations["description"]
        let title = summary.map { name.isEmpty ? $0 : "\(name): \($0)" } ?? (name.isEmpty ? w.groupKey : name)
        return IncidentOpened(
            source: .alertmanager, groupKey: w.groupKey, title: title,
            severity: labels["severity"] ?? first.labels["severity"] ?? "unknown",
            service: labels["service"] ?? labels["app"] ?? labels["job"] ?? first.labels["service"],
            receiver: w.receiver.isEmpty ? nil : w.receiver, externalURL: w.externalURL.isEmpty ? nil : w.externalURL,
            labels: labels, annotations: annotations, generatorURL: first.generatorURL.isEmpty ? nil : first.generatorURL)
    }
}
