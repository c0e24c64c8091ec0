

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
