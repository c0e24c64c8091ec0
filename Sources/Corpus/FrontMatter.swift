import Crypto
import Foundation
import Yams

/// YAML front matter of a handbook document.
public struct FrontMatter: Sendable, Hashable, Codable {
    public var id: String?
    public var kind: DocumentKind?
    public var title: String?
    public var date: String?
    public var services: [String]?
    public var alerts: [String]?
    public var severity: String?
    public var incidentType: String?
    /// A postmortem's time to triage and to mitigate, as people did it (RFC 3339): the human baseline of
    /// `aiops report mttt`.
    public var detectedAt: String?
    public var triagedAt: String?
    public var mitigatedAt: String?

    enum CodingKeys: String, CodingKey {
        case id, kind, title, date, services, alerts, severity
        case incidentType = "incident_type", detectedAt = "detected_at", triagedAt = "triaged_at", mitigatedAt = "mitigated_at"
    }
}
