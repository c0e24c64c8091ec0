

/// One Kafka topic of the system. `topics/topics.yaml` is the human-facing
/// declaration; this file mirrors it and a test keeps them equal. No daemon
/// spells a topic name: they all go through a `TopicSet`.
public struct TopicDescriptor: Sendable, Hashable {
    public var name: String
    public var partitions: Int
    public var key: String
    public var cleanupPolicy: String
    public var retentionMs: Int64
    public var purpose: String

    /// Topic-level configuration for CreateTopics.
    public var config: [String: String] {
        ["cleanup.policy": cleanupPolicy, "retention.ms": String(retentionMs)]
    }
}
