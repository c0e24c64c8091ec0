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
