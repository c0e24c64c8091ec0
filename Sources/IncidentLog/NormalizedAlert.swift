import Foundation

/// One alert as received (aiops.alerts.v1, key = fingerprint).
public struct NormalizedAlert: Sendable, Hashable, Codable {
    public var alertID: String
    public var fingerprint: String
    public var status: String
    public var alertname: String
    public var startsAt: String
    public var endsAt: String?
    public var generatorURL: String?
    public var groupKey: String
    public var receiver: String
    public var externalURL: String?
    public var receivedAt: String
    public var labels: [String: String]
    public var annotations: [String: String]

    public init(alertID: String, fingerprint: String, status: String, alertname: String, startsAt: String,
                endsAt: String?, generatorURL: String?, groupKey: String, receiver: String, externalURL: String?,
                receivedAt: String, labels: [String: String], annotations: [String: String]) {
        self.alertID = alertID; self.fingerprint = fingerprint; self.status = status; self.alertname = alertname
        self.startsAt = startsAt; self.endsAt = endsAt; self.generatorURL = generatorURL; self.groupKey = groupKey
        self.receiver = receiver; self.externalURL = externalURL; self.receivedAt = receivedAt
        self.labels = labels; self.annotations = annotations
    }

    enum CodingKeys: String, CodingKey {
        case fingerprint, status, alertname, receiver, labels, annotations
        case alertID = "alert_id", startsAt = "starts_at", endsAt = "ends_at", generatorURL = "generator_url"
        case groupKey = "group_key", externalURL = "external_url", receivedAt = "received_at"
    }
}
