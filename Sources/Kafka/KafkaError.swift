/// An error from the Kafka wrapper. New codes can be added without breaking callers.
public struct KafkaError: Error, CustomStringConvertible, Sendable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate let raw: String
        public static let configuration = Code(raw: "configuration")
        public static let clientCreation = Code(raw: "clientCreation")
        public static let produce = Code(raw: "produce")
        public static let delivery = Code(raw: "delivery")
        public static let consume = Code(raw: "consume")
        public static let subscription = Code(raw: "subscription")
        public static let offsetStore = Code(raw: "offsetStore")
        public static let metadata = Code(raw: "metadata")
        public static let admin = Code(raw: "admin")
        public static let mockCluster = Code(raw: "mockCluster")
        public static let closed = Code(raw: "closed")
        public static let timedOut = Code(raw: "timedOut")
        public var description: String { raw }
    }

    public let code: Code
    public let message: String
    /// The librdkafka error code (`rd_kafka_resp_err_t`) when there is one.
    public let rdKafkaCode: Int32?

    public init(_ code: Code, _ message: String, rdKafkaCode: Int32? = nil) {
        self.code = code
        self.message = message
        self.rdKafkaCode = rdKafkaCode
    }

    public var description: String {
        if let rdKafkaCode { return "kafka \(code): \(message) (rd_kafka_resp_err \(rdKafkaCode))" }
        return "kafka \(code): \(message)"
    }
}
