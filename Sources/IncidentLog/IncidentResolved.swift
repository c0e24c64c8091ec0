public struct IncidentResolved: Sendable, Hashable, Codable {
    public var reason: String
    public init(reason: String) { self.reason = reason }
}
