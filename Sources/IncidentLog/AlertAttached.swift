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
