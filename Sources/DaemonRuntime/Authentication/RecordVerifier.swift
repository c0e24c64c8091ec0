import Crypto
import Foundation
import Kafka
import Synchronization

/// Checks that a record was written by the producer it names, with a key the
/// keyring trusts for that producer. A batch's signature is verified once:
/// later records of the same batch only hash their inclusion path.
public final class RecordVerifier: Sendable {
    public let keyring: Keyring
    private let verified = Mutex(VerifiedBatches())

    struct VerifiedBatches {
        var set: Set<[UInt8]> = []
        var order: [[UInt8]] = []
        var next = 0
        static let capacity = 4_096

        mutating func insert(_ k: [UInt8]) {
            guard set.insert(k).inserted else { return }
            if order.count < Self.capacity { order.append(k); return }
            set.remove(order[next])
            order[next] = k
            next = (next + 1) % Self.capacity
        }
    }

    public init(keyring: Keyring) { self.keyring = keyring }

    /// The authenticated producer of `message`.
    public func verify(_ message: KafkaConsumerMessage) throws(RecordRejection) -> String {
        let auth = message.headers.filter { $0.key == RecordAuthHeader.name }
        guard !auth.isEmpty else { throw RecordRejection(.unsigned, "no \(RecordAuthHeader.name) header") }
        guard auth.count == 1 else { throw RecordRejection(.malformedSignature, "more than one \(RecordAuthHeader.name) header") }
        guard let h = RecordAuthHeader(auth[0].value) else {
            throw RecordRejection(.malformedSignature, "\(RecordAuthHeader.name) is not a version-1 header (producer, key, index, count, path, signature)")
        }
        guard let key = keyring.key(h.keyID) else { throw RecordRejection(.unknownKey, "key \(h.keyID) is not trusted") }
        guard key.producer == h.producer else {
            throw RecordRejection(.wrongProducer, "key \(h.keyID) belongs to \(key.producer), not \(h.producer)")
        }
        let leaf = RecordBatch.leaf(topic: message.topic, key: message.key, value: message.value)
        guard let root = RecordBatch.root(leaf: leaf, index: h.index, count: h.count, path: h.path) else {
            throw RecordRejection(.badSignature, "the inclusion path does not fit \(h.index) of \(h.count)")
        }
        let signed = RecordBatch.signedMessage(producer: h.producer, keyID: h.keyID, count: h.count, root: root)
        let cacheKey = Array(SHA256.hash(data: signed + h.signature))
        if verified.withLock({ $0.set.contains(cacheKey) }) { return h.producer }
        guard key.key.isValidSignature(h.signature, for: signed) else {
            throw RecordRejection(.badSignature, "signature by \(h.keyID) does not match the record")
        }
        verified.withLock { $0.insert(cacheKey) }
        return h.producer
    }
}
