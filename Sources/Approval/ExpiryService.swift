import DaemonRuntime
import IncidentLog
import Kafka
import Logging
import ServiceLifecycle

/// Expires pending approvals past their deadline (`ApprovalExpired` +
/// `IncidentEscalated`) every `interval` until the service group stops.
public struct ExpiryService: Service {
    let handler: ApproverHandler
    let producer: KafkaProducer
    let topics: TopicSet
    let interval: Duration
    let logger: Logger

    public init(handler: ApproverHandler, producer: KafkaProducer, topics: TopicSet, interval: Duration = .seconds(5),
                logger: Logger) {
        self.handler = handler; self.producer = producer; self.topics = topics; self.interval = interval; self.logger = logger
    }

    public func run() async throws {
        while !Task.isCancelled {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch { return }
            let events = handler.expire()
            guard !events.isEmpty else { continue }
            do {
                try await producer.send(try events.map { try IncidentEventCodec.encode($0, topics: topics) })
            } catch {
                logger.warning("could not record expired approvals; retrying next tick", metadata: ["error": "\(error)"])
            }
        }
    }
}
