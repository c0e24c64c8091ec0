import Crypto
import Foundation
import Kafka

/// Signs every batch a producer sends with its `ProducerKey` (see `RecordBatch`).
public struct RecordSigner: KafkaRecordSigner {
    public let key: ProducerKey

    public init(key: ProducerKey) { self.key = key }

    public func sign(_ messages: [KafkaOutgoingMessage]) throws -> [KafkaOutgoingMessage] {
        guard !messages.isEmpty else { return messages }
        guard messages.count <= RecordAuthHeader.maxCount else {
            var out: [KafkaOutgoingMessage] = []
            var start = 0
            while start < messages.count {
                out += try sign(Array(messages[start..<min(messages.count, start + RecordAuthHeader.maxCount)]))
                start += RecordAuthHeader.maxCount
            }
            return out
        }
        let leaves = messages.map { RecordBatch.leaf(topic: $0.topic, key: $0.key, value: $0.value) }
        let (root, paths) = RecordBatch.tree(leaves)
        let signature = Array(try key.privateKey.signature(
            for: RecordBatch.signedMessage(producer: key.producer, keyID: key.keyID, count: messages.count, root: root)))
        return messages.enumerated().map { i, m in
            var m = m
            m.headers.removeAll { $0.key == RecordAuthHeader.name }
            let header = RecordAuthHeader(producer: key.producer, keyID: key.keyID, index: i, count: messages.count,
                                          path: paths[i], signature: signature)
            m.headers.append(KafkaHeader(key: RecordAuthHeader.name, value: header.encoded))
            return m
        }
    }
}
