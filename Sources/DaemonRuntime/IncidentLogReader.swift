import IncidentLog
import Kafka
import Logging

/// Reads the incident log to its current end: how daemons rebuild their state before acting.
public enum IncidentLogReader {
    /// Calls `body` for every event `authenticator` accepts, in log order per incident; returns how many
    /// there were. Rejected records (forged, malformed) are skipped and counted in the log, never folded in.
    @discardableResult
    public static func forEachEvent(authenticator: RecordAuthenticator, configuration: KafkaConfiguration, logger: Logger,
                                    _ body: (IncidentEvent) -> Void) async throws -> Int {
        let reader = try KafkaTopicReader(topic: authenticator.topics.incidents, configuration: configuration, logger: logger)
        var count = 0
        var rejected = 0
        for m in try await reader.readToEnd() {
            guard let e = try? authenticator.check(m) else { rejected += 1; continue }
            body(e)
            count += 1
        }
        if rejected > 0 { logger.warning("skipped records of the incident log that are not facts", metadata: ["rejected": "\(rejected)"]) }
        return count
    }
}
