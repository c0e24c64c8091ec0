import DaemonRuntime
import IncidentLog
import Kafka
import Logging

/// Reads the incident log to its current end: how daemons rebuild their state before acting.
public enum IncidentLogReader {
    /// Calls `body` for every decodable event in log order per incident; returns how many there were.
    @discardableResult
    public static func forEachEvent(topics: TopicSet, configuration: KafkaConfiguration, logger: Logger,
                                    _ body: (IncidentEvent) -> Void) async throws -> Int {
        let reader = try KafkaTopicReader(topic: topics.incidents, configuration: configuration, logger: logger)
        var count = 0
        for m in try await reader.readToEnd() {
            guard let e = try? IncidentEventCodec.decode(m) else { continue }
            body(e)
            count += 1
        }
        return count
    }
}
