import Logging

/// Consumer-group settings. Offsets are stored only by the caller, after its
/// output is acknowledged (`enable.auto.offset.store=false`): at-least-once.
public struct KafkaConsumerConfiguration: Sendable {
    public var kafka: KafkaConfiguration
    public var groupID: String
    public var topics: [String]
    /// Where a group without a committed offset starts (`auto.offset.reset`).
    public var autoOffsetReset: String = "earliest"
    /// `session.timeout.ms`: how long a member that vanished holds its partitions.
    public var sessionTimeoutMs: Int = 15_000
    /// How often stored offsets are committed in the background.
    public var autoCommitIntervalMs: Int = 1_000
    /// `fetch.wait.max.ms`: how long the broker holds a fetch open when there is
    /// nothing new. librdkafka's 500 ms default adds up to half a second per
    /// daemon hop; the incident pipeline is latency-bound, not throughput-bound.
    public var fetchWaitMaxMs: Int = 20

    public init(kafka: KafkaConfiguration, groupID: String, topics: [String]) {
        self.kafka = kafka
        self.groupID = groupID
        self.topics = topics
    }

    func properties() -> [String: String] {
        var p = kafka.baseProperties()
        p["group.id"] = groupID
        p["enable.auto.offset.store"] = "false"
        p["enable.auto.commit"] = "true"
        p["auto.commit.interval.ms"] = String(autoCommitIntervalMs)
        p["auto.offset.reset"] = autoOffsetReset
        p["session.timeout.ms"] = String(sessionTimeoutMs)
        p["heartbeat.interval.ms"] = String(max(100, min(3_000, sessionTimeoutMs / 3)))
        p["enable.partition.eof"] = "false"
        p["fetch.wait.max.ms"] = String(fetchWaitMaxMs)
        for (k, v) in kafka.properties { p[k] = v }
        return p
    }
}
