/// Payloads of the incident event log, one struct per event type. Field names
/// on the wire are snake_case and match `topics/schemas/<Type>.json`.

public struct IncidentOpened: Sendable, Hashable, Codable {
    public enum Source: String, Sendable, Codable { case alertmanager, incidentreport }
    public var source: Source
    /// Alertmanager group key, or `incidentreport:<namespace>/<name>`.
    public var groupKey: String
    public var title: String
    public var severity: String
    public var service: String?
    public var receiver: String?
    public var externalURL: String?
    public var labels: [String: String]
    public var annotations: [String: String]

    public init(source: Source, groupKey: String, title: String, severity: String, service: String?,
                receiver: String?, externalURL: String?, labels: [String: String], annotations: [String: String]) {
        self.source = source; self.groupKey = groupKey; self.title = title; self.severity = severity
        self.service = service; self.receiver = receiver; self.externalURL = externalURL
        self.labels = labels; self.annotations = annotations
    }

    enum CodingKeys: String, CodingKey {
        case source, title, severity, service, receiver, labels, annotations
        case groupKey = "group_key", externalURL = "external_url"
    }
}

public struct AlertAttached: Sendable, Hashable, Codable {
    public var alertID: String
    public var fingerprint: String
    public var alertname: String
    public var startsAt: String
    public var generatorURL: String?
    public var labels: [String: String]
    public var annotations: [String: String]

    public init(alertID: String, fingerprint: String, alertname: String, startsAt: String, generatorURL: String?,
                labels: [String: String], annotations: [String: String]) {
        self.alertID = alertID; self.fingerprint = fingerprint; self.alertname = alertname
        self.startsAt = startsAt; self.generatorURL = generatorURL; self.labels = labels
        self.annotations = annotations
    }

    enum CodingKeys: String, CodingKey {
        case fingerprint, alertname, labels, annotations
        case alertID = "alert_id", startsAt = "starts_at", generatorURL = "generator_url"
    }
}

public struct AlertResolved: Sendable, Hashable, Codable {
    public var alertID: String
    public var fingerprint: String
    public var alertname: String
    public var startsAt: String
    public var endsAt: String

    public init(alertID: String, fingerprint: String, alertname: String, startsAt: String, endsAt: String) {
        self.alertID = alertID; self.fingerprint = fingerprint; self.alertname = alertname
        self.startsAt = startsAt; self.endsAt = endsAt
    }

    enum CodingKeys: String, CodingKey {
        case fingerprint, alertname
        case alertID = "alert_id", startsAt = "starts_at", endsAt = "ends_at"
    }
}

public struct IncidentResolved: Sendable, Hashable, Codable {
    public var reason: String
    public init(reason: String) { self.reason = reason }
}

/// The payload of an incident event; its case is the event's `type`.
public enum IncidentEventPayload: Sendable, Hashable {
    case incidentOpened(IncidentOpened)
    case alertAttached(AlertAttached)
    case alertResolved(AlertResolved)
    case incidentResolved(IncidentResolved)
    /// A type this build does not know, kept as it was.
    case unknown(type: String, payload: JSONValue)

    public var type: String {
        switch self {
        case .incidentOpened: "IncidentOpened"
        case .alertAttached: "AlertAttached"
        case .alertResolved: "AlertResolved"
        case .incidentResolved: "IncidentResolved"
        case .unknown(let type, _): type
        }
    }

    /// Current schema version of each known type.
    public var schemaVersion: Int { 1 }
}
