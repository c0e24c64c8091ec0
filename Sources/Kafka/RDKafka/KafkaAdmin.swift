import CRdKafka
import Foundation
import Logging

/// A topic to create with the admin API.
public struct KafkaTopicSpec: Sendable, Hashable {
    public var name: String
    public var partitions: Int
    public var replicationFactor: Int
    /// Topic-level configs such as `cleanup.policy` and `retention.ms`.
    public var config: [String: String]

    public init(name: String, partitions: Int, replicationFactor: Int, config: [String: String] = [:]) {
        self.name = name
        self.partitions = partitions
        self.replicationFactor = replicationFactor
        self.config = config
    }
}

/// Outcome of creating one topic.
public enum KafkaTopicCreation: Sendable, Hashable {
    case created
    case alreadyExists
    case failed(String)
}

/// Admin operations (CreateTopics) against a real cluster. The mock cluster
/// has no admin API; create its topics with `KafkaMockCluster.createTopic`.
public enum KafkaAdmin {
    public static func createTopics(_ topics: [KafkaTopicSpec], configuration: KafkaConfiguration,
                                    timeout: Duration = .seconds(30),
                                    logger: Logger) async throws -> [String: KafkaTopicCreation] {
        var props = configuration.baseProperties()
        for (k, v) in configuration.properties { props[k] = v }
        let client = try RDKafkaClient(kind: .producer, properties: props, logger: logger)
        let timeoutMs = timeout.milliseconds
        return try await runBlocking { try createTopicsBlocking(topics, client: client, timeoutMs: timeoutMs) }
    }

    static func createTopicsBlocking(_ topics: [KafkaTopicSpec], client: RDKafkaClient,
                                     timeoutMs: Int32) throws -> [String: KafkaTopicCreation] {
        var errstr = [CChar](repeating: 0, count: 512)
        var newTopics: [OpaquePointer?] = []
        defer { for t in newTopics { rd_kafka_NewTopic_destroy(t) } }
        for spec in topics {
            guard let nt = rd_kafka_NewTopic_new(spec.name, Int32(spec.partitions), Int32(spec.replicationFactor),
                                                 &errstr, errstr.count) else {
                throw KafkaError(.admin, "topic \(spec.name): \(cString(errstr))")
            }
            newTopics.append(nt)
            for (k, v) in spec.config.sorted(by: { $0.key < $1.key }) {
                try check(rd_kafka_NewTopic_set_config(nt, k, v), .admin, "topic \(spec.name) config \(k)")
            }
        }
        let queue = rd_kafka_queue_new(client.handle)!
        defer { rd_kafka_queue_destroy(queue) }
        let options = rd_kafka_AdminOptions_new(client.handle, RD_KAFKA_ADMIN_OP_CREATETOPICS)
        defer { rd_kafka_AdminOptions_destroy(options) }
        _ = rd_kafka_AdminOptions_set_request_timeout(options, timeoutMs, &errstr, errstr.count)
        _ = rd_kafka_AdminOptions_set_operation_timeout(options, timeoutMs, &errstr, errstr.count)
        newTopics.withUnsafeMutableBufferPointer { buf in
            rd_kafka_CreateTopics(client.handle, buf.baseAddress, buf.count, options, queue)
        }
        guard let event = rd_kafka_queue_poll(queue, timeoutMs + 1000) else {
            throw KafkaError(.timedOut, "CreateTopics got no answer")
        }
        defer { rd_kafka_event_destroy(event) }
        let eventErr = rd_kafka_event_error(event)
        if eventErr != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError(.admin, String(cString: rd_kafka_event_error_string(event)), rdKafkaCode: eventErr.rawValue)
        }
        guard let result = rd_kafka_event_CreateTopics_result(event) else {
            throw KafkaError(.admin, "unexpected admin event")
        }
        var count = 0
        guard let results = rd_kafka_CreateTopics_result_topics(result, &count) else { return [:] }
        var outcome: [String: KafkaTopicCreation] = [:]
        for i in 0..<count {
            let r = results[i]
            let name = String(cString: rd_kafka_topic_result_name(r))
            let err = rd_kafka_topic_result_error(r)
            switch err {
            case RD_KAFKA_RESP_ERR_NO_ERROR: outcome[name] = .created
            case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS: outcome[name] = .alreadyExists
            default:
                let text = rd_kafka_topic_result_error_string(r).map { String(cString: $0) }
                outcome[name] = .failed(text ?? String(cString: rd_kafka_err2str(err)))
            }
        }
        return outcome
    }
}
