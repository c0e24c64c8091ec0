import Kafka
import ServiceLifecycle

/// Keeps a producer for the life of a `ServiceGroup` and flushes and closes it
/// at shutdown. Put it first in the group: services stop in reverse order, so
/// everything that produces has finished before it flushes.
public struct ProducerService: Service {
    let producer: KafkaProducer

    public init(_ producer: KafkaProducer) { self.producer = producer }

    public func run() async throws {
        try? await gracefulShutdown()
        await producer.close()
    }
}
