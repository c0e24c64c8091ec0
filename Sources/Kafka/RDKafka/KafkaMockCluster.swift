import CRdKafka
import Foundation
import Logging

/// librdkafka's in-memory mock cluster: real brokers on loopback TCP ports
/// that any Kafka client can use. The local default stack and the tests run on
/// it. Everything is lost when it is closed.
public final class KafkaMockCluster: @unchecked Sendable {
    // @unchecked: the mock cluster API is thread-safe (it posts ops to the
    // cluster's own thread); `handle` and `cluster` never change after init.
    private let client: RDKafkaClient
    private let cluster: OpaquePointer
    public let bootstrapServers: String
    public let brokerCount: Int

    public init(brokers: Int = 1, logger: Logger) throws {
        // The mock cluster hangs off a client instance; a producer is the lightest.
        // The mock brokers' sockets follow this handle's settings: no Nagle,
        // or responses wait for delayed ACKs (~40 ms).
        client = try RDKafkaClient(kind: .producer, properties: ["client.id": "aiops-mock-cluster",
                                                                 "log.queue": "false",
                                                                 "socket.nagle.disable": "true"], logger: logger)
        guard let mc = rd_kafka_mock_cluster_new(client.handle, Int32(brokers)) else {
            throw KafkaError(.mockCluster, "could not start the mock cluster")
        }
        cluster = mc
        bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(mc))
        brokerCount = brokers
    }

    deinit {
        rd_kafka_mock_cluster_destroy(cluster)
    }

    public func createTopic(_ name: String, partitions: Int, replicationFactor: Int = 1) throws {
        try check(rd_kafka_mock_topic_create(cluster, name, Int32(partitions), Int32(replicationFactor)),
                  .mockCluster, "create topic \(name)")
    }

    /// Takes a broker down (connections closed, new ones refused) or brings it back. Ids start at 1.
    public func setBroker(_ id: Int32, up: Bool) throws {
        let err = up ? rd_kafka_mock_broker_set_up(cluster, id) : rd_kafka_mock_broker_set_down(cluster, id)
        try check(err, .mockCluster, "set broker \(id) \(up ? "up" : "down")")
    }

    public func setAllBrokers(up: Bool) throws {
        for id in 1...Int32(brokerCount) { try setBroker(id, up: up) }
    }

    /// The next `count` requests of `apiKey` (0 Produce, 1 Fetch, 8 OffsetCommit, …) fail with `error`
    /// (an `rd_kafka_resp_err_t` code, e.g. 7 REQUEST_TIMED_OUT): what a sick broker answers.
    public func pushRequestErrors(apiKey: Int16, count: Int, error: Int32) {
        let errors = [rd_kafka_resp_err_t](repeating: rd_kafka_resp_err_t(rawValue: error), count: max(0, count))
        errors.withUnsafeBufferPointer { rd_kafka_mock_push_request_errors_array(cluster, apiKey, errors.count, $0.baseAddress) }
    }

    /// Adds round-trip latency to a broker.
    public func setBrokerRTT(_ id: Int32, milliseconds: Int) throws {
        try check(rd_kafka_mock_broker_set_rtt(cluster, id, Int32(milliseconds)), .mockCluster, "set rtt")
    }
}
