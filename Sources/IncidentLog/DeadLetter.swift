import Crypto
import Foundation

/// A message that could not be handled (aiops.deadletter.v1).
public struct DeadLetter: Sendable, Hashable, Codable {
    public var sourceTopic: String
    public var sourcePartition: Int32
    public var sourceOffset: Int64
    public var sourceKey: String?
    public var consumerGroup: String
    public var error: String
    public var attempts: Int
    public var failedAt: String
    /// The value, base64, cut at `maxValueBytes` (a dead letter must fit where the record did not).
    public var valueBase64: String
    /// The whole value's size and SHA-256 (hex): what identifies it when it was cut.
    public var valueBytes: Int?
    public var valueSHA256: String?

    /// Values above this are cut in the dead letter (a record near the broker's limit would not fit, base64-encoded).
    public static let maxValueBytes = 256 * 1024

    public init(sourceTopic: String, sourcePartition: Int32, sourceOffset: Int64, sourceKey: String?, value: [UInt8],
                consumerGroup: String, error: String, attempts: Int, failedAt: Date) {
        self.sourceTopic = sourceTopic
        self.sourcePartition = sourcePartition
        self.sourceOffset = sourceOffset
        self.sourceKey = sourceKey
        self.consumerGroup = consumerGroup
        self.error = String(error.prefix(4_000))
        self.attempts = attempts
        self.failedAt = RFC3339.format(failedAt)
        valueBase64 = Data(value.prefix(Self.maxValueBytes)).base64EncodedString()
        valueBytes = value.count
        valueSHA256 = SHA256.hash(data: value).map { String(format: "%02x", $0) }.joined()
    }

    enum CodingKeys: String, CodingKey {
        case error, attempts
        case sourceTopic = "source_topic", sourcePartition = "source_partition", sourceOffset = "source_offset"
        case sourceKey = "source_key", consumerGroup = "consumer_group", failedAt = "failed_at"
        case valueBase64 = "value_base64", valueBytes = "value_bytes", valueSHA256 = "value_sha256"
    }
}
