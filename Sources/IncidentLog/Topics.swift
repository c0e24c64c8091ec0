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

public enum Topics {
    public static let alerts = TopicDescriptor(
        name: "aiops.alerts.v1", partitions: 3, key: "alert fingerprint", cleanupPolicy: "delete",
        retentionMs: 604_800_000,
        purpose: "Raw alerts as received from Alertmanager, normalized, one record per alert and status change.")
    public static let incidents = TopicDescriptor(
        name: "aiops.incidents.v1", partitions: 3, key: "incident id", cleanupPolicy: "delete",
        retentionMs: -1,
        purpose: "THE incident event log. Every daemon appends here; it is also the trajectory record for replay and eval.")
    public static let corpus = TopicDescriptor(
        name: "aiops.corpus.v1", partitions: 1, key: "document id", cleanupPolicy: "compact",
        retentionMs: -1,
        purpose: "Changes of the ops-handbook corpus, consumed by the embedder.")
    public static let deadLetter = TopicDescriptor(
        name: "aiops.deadletter.v1", partitions: 1, key: "source topic/partition/offset", cleanupPolicy: "delete",
        retentionMs: 2_592_000_000,
        purpose: "Poison messages with the error and their source topic, partition and offset.")

    public static let all: [TopicDescriptor] = [alerts, incidents, corpus, deadLetter]
}

/// The concrete topic names a deployment uses: the declared names behind an
/// optional prefix (`AIOPS_TOPIC_PREFIX`), so tests and several stacks can
/// share one cluster without seeing each other.
public struct TopicSet: Sendable, Hashable {
    public var prefix: String

    public init(prefix: String = "") { self.prefix = prefix }

    public func name(_ topic: TopicDescriptor) -> String { prefix + topic.name }
    public var alerts: String { name(Topics.alerts) }
    public var incidents: String { name(Topics.incidents) }
    public var corpus: String { name(Topics.corpus) }
    public var deadLetter: String { name(Topics.deadLetter) }

    /// All topics with their prefixed names.
    public var descriptors: [TopicDescriptor] {
        Topics.all.map { var t = $0; t.name = name($0); return t }
    }
}
