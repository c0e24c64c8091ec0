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

    enum CodingKeys: String, CodingKey {
        case id, kind, title, date, services, alerts, severity
        case incidentType = "incident_type"
    }
}
