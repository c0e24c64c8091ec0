/// Operations on one resource (a topic, a group), by literal name or by prefix.
public struct KafkaGrant: Sendable, Equatable {
    public enum Resource: String, Sendable { case topic, group }
    public var resource: Resource
    public var name: String
    public var prefixed: Bool
    public var operations: [KafkaOperation]

    public init(_ resource: Resource, _ name: String, prefixed: Bool = false, _ operations: [KafkaOperation]) {
        self.resource = resource
        self.name = name
        self.prefixed = prefixed
        self.operations = operations
    }
}
