import Foundation

/// The parts of librdkafka's statistics JSON that feed our metrics.
public struct KafkaStatistics: Sendable {
    /// Messages waiting in the producer queue (`msg_cnt`).
    public var queuedMessages: Int
    /// Sum of `consumer_lag` over the partitions this client consumes, per topic.
    public var consumerLag: [String: Int64]
    /// Brokers whose state is `UP`.
    public var brokersUp: Int

    init?(json: Data) {
        guard let root = (try? JSONSerialization.jsonObject(with: json)) as? [String: Any] else { return nil }
        queuedMessages = (root["msg_cnt"] as? Int) ?? 0
        var lag: [String: Int64] = [:]
        if let topics = root["topics"] as? [String: Any] {
            for (name, value) in topics {
                guard let partitions = (value as? [String: Any])?["partitions"] as? [String: Any] else { continue }
                var sum: Int64 = 0
                var any = false
                for (id, p) in partitions where id != "-1" {
                    if let l = (p as? [String: Any])?["consumer_lag"] as? Int, l >= 0 {
                        sum += Int64(l)
                        any = true
                    }
                }
                if any { lag[name] = sum }
            }
        }
        consumerLag = lag
        var up = 0
        if let brokers = root["brokers"] as? [String: Any] {
            for (_, b) in brokers where ((b as? [String: Any])?["state"] as? String) == "UP" { up += 1 }
        }
        brokersUp = up
    }
}
