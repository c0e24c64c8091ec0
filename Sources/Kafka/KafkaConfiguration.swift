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
