import Foundation
import IncidentLog
import Kafka
import Logging
import Metrics
import ServiceLifecycle

/// A handler that can take several records at once (the embedder batches
/// embedding requests across documents). Records of a batch are in log order;
/// if the batch fails for a reason other than an outage, the loop falls back
/// to handling its records one by one, so one poison record is isolated.
public protocol BatchMessageHandler: MessageHandler {
    var maxBatchSize: Int { get }
    func handle(batch: [KafkaConsumerMessage]) async throws -> [KafkaOutgoingMessage]
}
