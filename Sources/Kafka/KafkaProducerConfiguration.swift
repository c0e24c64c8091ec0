import Logging

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
