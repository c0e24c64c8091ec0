import CRdKafka

extension KafkaError {
    /// The broker or client refuses this record for what it is (too large, invalid), so sending it again can
    /// never succeed: answer the sender with a 4xx that says which record, not a retryable 503.
    public var isPermanentForRecord: Bool {
        guard let code = rdKafkaCode else { return false }
        return [RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE,
                RD_KAFKA_RESP_ERR_INVALID_RECORD, RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE,
                RD_KAFKA_RESP_ERR_INVALID_MSG].map(\.rawValue).contains(code)
    }
}
