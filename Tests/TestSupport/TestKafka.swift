import Foundation
import DaemonRuntime
import IncidentLog
import Kafka
import Logging

/// One in-process mock Kafka cluster shared by the tests of a process; each
/// test takes its own topic prefix (so its own topics) and group ids.
public enum TestKafka {
    public static let logger: Logger = {
        var l = Logger(label: "test.kafka")
        l.logLevel = ProcessInfo.processInfo.environment["AIOPS_TEST_LOG"] == nil ? .critical : .debug
        return l
    }()

    /// A cluster per process. Tests that take brokers down get their own (`isolatedCluster`).
    public static let shared: KafkaMockCluster = try! KafkaMockCluster(brokers: 1, logger: logger)

    public static func isolatedCluster() throws -> KafkaMockCluster {
        try KafkaMockCluster(brokers: 1, logger: logger)
    }

    /// Creates every declared topic under a fresh prefix and returns it.
    public static func topics(in cluster: KafkaMockCluster = shared, name: String = #function) throws -> TopicSet {
        let clean = name.filter { $0.isLetter || $0.isNumber }
        let set = TopicSet(prefix: "t\(clean.prefix(24))-\(UUID().uuidString.prefix(8)).")
        for t in set.descriptors { try cluster.createTopic(t.name, partitions: t.partitions) }
        return set
    }

    public static func configuration(_ cluster: KafkaMockCluster = shared) -> KafkaConfiguration {
        var c = KafkaConfiguration(bootstrapServers: cluster.bootstrapServers, clientID: "aiops-test")
        c.properties["topic.metadata.refresh.interval.ms"] = "500"
        c.properties["reconnect.backoff.max.ms"] = "500"
        return c
    }

    /// A producer on the test cluster; by default it signs each record as the producer it claims to be.
    public static func producer(_ cluster: KafkaMockCluster = shared, deliveryTimeoutMs: Int = 10_000,
                                signer: (any KafkaRecordSigner)? = ClaimedProducerSigner()) throws -> KafkaProducer {
        var c = KafkaProducerConfiguration(kafka: configuration(cluster))
        c.deliveryTimeoutMs = deliveryTimeoutMs
        return try KafkaProducer(configuration: c, signer: signer, logger: logger)
    }

    public static func consumer(_ cluster: KafkaMockCluster = shared, group: String, topics: [String]) throws -> KafkaConsumer {
        var c = KafkaConsumerConfiguration(kafka: configuration(cluster), groupID: group, topics: topics)
        c.sessionTimeoutMs = 6_000
        c.autoCommitIntervalMs = 200
        return try KafkaConsumer(configuration: c, logger: logger)
    }

    public static func uniqueGroup(_ name: String = #function) -> String {
        "g-\(name.filter { $0.isLetter })-\(UUID().uuidString.prefix(8))"
    }

    /// Reads `topic` from the beginning until `count` records arrived or the timeout passed.
    public static func read(_ topic: String, count: Int, cluster: KafkaMockCluster = shared,
                            timeout: Duration = .seconds(20)) async throws -> [KafkaConsumerMessage] {
        let reader = try KafkaTopicReader(topic: topic, configuration: configuration(cluster), logger: logger)
        var out: [KafkaConsumerMessage] = []
        let deadline = ContinuousClock.now + timeout
        while out.count < count, ContinuousClock.now < deadline {
            if let m = try await reader.next(timeout: .milliseconds(200)) { out.append(m) }
        }
        return out
    }

    /// Follows the incident log until `predicate` holds for the decoded events seen so far.
    /// Events of the incident log until `predicate` holds (or the timeout): only the records the test
    /// keyring authenticates, so forged and malformed records planted by a test are not counted as facts.
    public static func waitForEvents(_ topics: TopicSet, cluster: KafkaMockCluster = shared,
                                     timeout: Duration = .seconds(60),
                                     until predicate: ([IncidentEvent]) -> Bool) async throws -> [IncidentEvent] {
        let reader = try KafkaTopicReader(topic: topics.incidents, configuration: configuration(cluster), logger: logger)
        let auth = TestKeys.authenticator(topics)
        var events: [IncidentEvent] = []
        let deadline = ContinuousClock.now + timeout
        while !predicate(events) {
            guard ContinuousClock.now < deadline else { break }
            if let m = try await reader.next(timeout: .milliseconds(200)), let e = try? auth.check(m) {
                events.append(e)
            }
        }
        return events
    }

    /// Dead letters until `count` arrived (or the timeout).
    public static func waitForDeadLetters(_ topics: TopicSet, count: Int, cluster: KafkaMockCluster = shared,
                                          timeout: Duration = .seconds(30)) async throws -> [DeadLetter] {
        let reader = try KafkaTopicReader(topic: topics.deadLetter, configuration: configuration(cluster), logger: logger)
        var out: [DeadLetter] = []
        let deadline = ContinuousClock.now + timeout
        while out.count < count && ContinuousClock.now < deadline {
            if let m = try await reader.next(timeout: .milliseconds(200)),
               let d = try? JSONDecoder().decode(DeadLetter.self, from: Data(m.value)) {
                out.append(d)
            }
        }
        return out
    }
}

extension TestKafka {
    /// Everything in `topic` right now (up to the high watermarks): exact counts
    /// after the writer was acknowledged, without waiting for a timeout.
    public static func readAll(_ topic: String, cluster: KafkaMockCluster = shared) async throws -> [KafkaConsumerMessage] {
        let reader = try KafkaTopicReader(topic: topic, configuration: configuration(cluster), logger: logger)
        return try await reader.readToEnd()
    }
}
