/// Payloads of the incident event log are one struct per event type, one file each. Field names
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
    /// The opening alert's `generatorURL` (its rule's expression), if any.
    public var generatorURL: String?
    /// The `alertname` label an IncidentReport gets when it names none: a kind of event, not what is wrong.
    public static let reportAlertName = "IncidentReport"

    public init(source: Source, groupKey: String, title: String, severity: String, service: String?,
                receiver: String?, externalURL: String?, labels: [String: String], annotations: [String: String],
                generatorURL: String? = nil) {
        self.source = source; self.groupKey = groupKey; self.title = title; self.severity = severity
        self.service = service; self.receiver = receiver; self.externalURL = externalURL
        self.labels = labels; self.annotations = annotations; self.generatorURL = generatorURL
    }

    enum CodingKeys: String, CodingKey {
        case source, title, severity, service, receiver, labels, annotations
        case groupKey = "group_key", externalURL = "external_url", generatorURL = "generator_url"
    }
}
