import Foundation
import IncidentLog
import Kafka

extension DeadLetter {
    public init(source: KafkaConsumerMessage, consumerGroup: String, error: String, attempts: Int, failedAt: Date) {
        self.init(sourceTopic: source.topic, sourcePartition: source.partition, sourceOffset: source.offset,
                  sourceKey: source.keyString.map { String($0.prefix(1_024)) }, value: source.value, consumerGroup: consumerGroup, error: error,
                  attempts: attempts, failedAt: failedAt)
    }

    public func message(topics: TopicSet) throws -> KafkaOutgoingMessage {
        KafkaOutgoingMessage(topic: topics.deadLetter, key: "\(sourceTopic)/\(sourcePartition)/\(sourceOffset)",
                             value: Array(try JSONEncoder().encode(self)),
                             headers: [KafkaHeader(key: "content-type", string: "application/json")])
    }
}
