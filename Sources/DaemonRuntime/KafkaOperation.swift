/// Kafka's ACL operations, spelled as Kafka's tools and Strimzi spell them.
public enum KafkaOperation: String, Sendable {
    case read = "Read", write = "Write", describe = "Describe", create = "Create", describeConfigs = "DescribeConfigs"
}
