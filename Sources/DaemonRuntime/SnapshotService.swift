import Kafka
import Logging
import ServiceLifecycle

/// Keeps a running daemon's start-up snapshot close to the log's end, so that
/// its next start reads a short tail however long it ran. It reads the log on
/// its own (the live state is never touched) and ends on graceful shutdown.
public struct SnapshotService: Service {
    let store: SnapshotStore
    let authenticator: RecordAuthenticator
    let kafka: KafkaConfiguration
    let interval: Duration
    let logger: Logger

    public init(store: SnapshotStore, authenticator: RecordAuthenticator, kafka: KafkaConfiguration, interval: Duration,
                logger: Logger) {
        self.store = store
        self.authenticator = authenticator
        self.kafka = kafka
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isCancelled {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch { return }
            do {
                try await IncidentLogReader.refresh(store, authenticator: authenticator, configuration: kafka, logger: logger)
            } catch {
                // The previous snapshot stays valid: the next start reads a longer tail, nothing is lost.
                logger.warning("snapshot refresh failed; trying again next interval", metadata: ["error": "\(error)"])
            }
        }
    }
}
