/// One principal and what it may do.
public struct KafkaPrincipal: Sendable, Equatable {
    public var name: String
    public var purpose: String
    public var grants: [KafkaGrant]
}
