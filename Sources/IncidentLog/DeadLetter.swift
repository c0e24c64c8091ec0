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
    public var valueBase64: String

    public init(sourceTopic: String, sourcePartition: Int32, sourceOffset: Int64, sourceKey: String?, value: [UInt8],
                consumerGroup: String, error: String, attempts: Int, failedAt: Date) {
        self.sourceTopic = sourceTopic
        self.sourcePartition = sourcePartition
        self.sourceOffset = sourceOffset
        self.sourceKey = sourceKey
        self.consumerGroup = consumerGroup
        self.error = error
        self.attempts = attempts
        self.failedAt = RFC3339.format(failedAt)
        valueBase64 = Data(value).base64EncodedString()
    }

    enum CodingKeys: String, CodingKey {
        case error, attempts
        case sourceTopic = "source_topic", sourcePartition = "source_partition", sourceOffset = "source_offset"
        case sourceKey = "source_key", consumerGroup = "consumer_group", failedAt = "failed_at"
        case valueBase64 = "value_base64"
    }
}
