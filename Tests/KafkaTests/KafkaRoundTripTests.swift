import Foundation
import Kafka
import TestSupport
import Testing

@Suite("Kafka wrapper against the mock cluster")
struct KafkaRoundTripTests {
    @Test func produceAndConsumeWithKeysAndHeaders() async throws {
        let topics = try TestKafka.topics()
        let producer = try TestKafka.producer(signer: nil)
        let reports = try await producer.send([
            KafkaOutgoingMessage(topic: topics.alerts, key: "fp-1", value: Array("one".utf8),
                                 headers: [KafkaHeader(key: "traceparent", string: "00-abc"),
                                           KafkaHeader(key: "bin", value: [0, 1, 2])]),
            KafkaOutgoingMessage(topic: topics.alerts, key: "fp-1", value: Array("two".utf8)),
        ])
        #expect(reports.count == 2)
        #expect(reports[0].partition == reports[1].partition)
        #expect(reports[1].offset == reports[0].offset + 1)

        let consumer = try TestKafka.consumer(group: TestKafka.uniqueGroup(), topics: [topics.alerts])
        var got: [KafkaConsumerMessage] = []
        for try await m in consumer.messages {
            got.append(m)
            try consumer.storeOffset(m)
            if got.count == 2 { break }
        }
        await consumer.close()
        await producer.close()
        #expect(got.map { String(decoding: $0.value, as: UTF8.self) } == ["one", "two"])
        #expect(got[0].keyString == "fp-1")
        #expect(got[0].header("traceparent")?.stringValue == "00-abc")
        #expect(got[0].header("bin")?.value == [0, 1, 2])
        #expect(got[1].headers.isEmpty)
    }

    @Test func uncommittedMessagesAreRedeliveredToTheNextMember() async throws {
        let topics = try TestKafka.topics()
        let producer = try TestKafka.producer(signer: nil)
        for i in 0..<4 {
            try await producer.send(KafkaOutgoingMessage(topic: topics.corpus, key: "k", value: Array("m\(i)".utf8)))
        }
        let group = TestKafka.uniqueGroup()
        // First member handles two messages, stores only the first, then closes.
        let first = try TestKafka.consumer(group: group, topics: [topics.corpus])
        var seen: [String] = []
        for try await m in first.messages {
            seen.append(String(decoding: m.value, as: UTF8.self))
            if seen.count == 1 { try first.storeOffset(m) }
            if seen.count == 2 { break }
        }
        await first.close()
        #expect(seen == ["m0", "m1"])

        let second = try TestKafka.consumer(group: group, topics: [topics.corpus])
        var again: [String] = []
        for try await m in second.messages {
            again.append(String(decoding: m.value, as: UTF8.self))
            try second.storeOffset(m)
            if again.count == 3 { break }
        }
        await second.close()
        await producer.close()
        #expect(again == ["m1", "m2", "m3"])
    }

    @Test func storingTheOffsetOfAPartitionThisMemberDoesNotOwnIsNotAnError() async throws {
        // What a rebalance leaves behind: a record in flight whose partition was revoked meanwhile.
        let topics = try TestKafka.topics()
        let producer = try TestKafka.producer(signer: nil)
        try await producer.send(KafkaOutgoingMessage(topic: topics.corpus, key: "k", value: Array("m".utf8)))
        let consumer = try TestKafka.consumer(group: TestKafka.uniqueGroup(), topics: [topics.corpus])
        var got: KafkaConsumerMessage?
        for try await m in consumer.messages { got = m; break }
        let m = try #require(got)
        #expect(try consumer.storeOffset(m), "an assigned partition stores")
        var revoked = m
        revoked.topic = topics.alerts // assigned to nobody in this group
        #expect(try consumer.storeOffset(revoked) == false)
        await consumer.close()
        await producer.close()
    }

    @Test func topicReaderReadsToTheEndOfEveryPartition() async throws {
        let topics = try TestKafka.topics()
        let producer = try TestKafka.producer(signer: nil)
        let messages = (0..<30).map {
            KafkaOutgoingMessage(topic: topics.incidents, key: "inc-\($0 % 7)", value: Array("v\($0)".utf8))
        }
        try await producer.send(messages)
        await producer.close()
        let reader = try KafkaTopicReader(topic: topics.incidents, configuration: TestKafka.configuration(),
                                          logger: TestKafka.logger)
        #expect(reader.partitions == 3)
        let all = try await reader.readToEnd()
        #expect(all.count == 30)
        #expect(Set(all.map { String(decoding: $0.value, as: UTF8.self) }).count == 30)
    }

    @Test func sendFailsWhenTheBrokerStaysDown() async throws {
        let cluster = try TestKafka.isolatedCluster()
        let topics = try TestKafka.topics(in: cluster)
        let producer = try TestKafka.producer(cluster, deliveryTimeoutMs: 1_500)
        try await producer.send(KafkaOutgoingMessage(topic: topics.alerts, key: "a", value: [1]))
        try cluster.setAllBrokers(up: false)
        await #expect(throws: KafkaError.self) {
            try await producer.send(KafkaOutgoingMessage(topic: topics.alerts, key: "a", value: [2]))
        }
        try cluster.setAllBrokers(up: true)
        // As a caller would: retry until the client has reconnected.
        var report: KafkaDeliveryReport?
        for _ in 0..<20 where report == nil {
            report = try? await producer.send(KafkaOutgoingMessage(topic: topics.alerts, key: "a", value: [3]))
        }
        #expect(try #require(report).offset >= 1)
        await producer.close()
    }
}

@Suite("Kafka admin")
struct KafkaAdminTests {
    /// The mock cluster has no CreateTopics; the admin path must fail clearly and quickly
    /// instead of hanging (against a real cluster it creates the topics of topics/).
    @Test func createTopicsAgainstABrokerWithoutTheAdminAPIFailsClearly() async throws {
        let cluster = try TestKafka.isolatedCluster()
        let start = ContinuousClock.now
        do {
            let result = try await KafkaAdmin.createTopics(
                [KafkaTopicSpec(name: "x.aiops.incidents.v1", partitions: 3, replicationFactor: 1,
                                config: ["cleanup.policy": "delete", "retention.ms": "-1"])],
                configuration: TestKafka.configuration(cluster), timeout: .seconds(5), logger: TestKafka.logger)
            if case .failed = result["x.aiops.incidents.v1"] {} else if result["x.aiops.incidents.v1"] == .created {
                // A librdkafka whose mock implements CreateTopics: also fine.
            } else {
                Issue.record("unexpected outcome \(result)")
            }
        } catch let error as KafkaError {
            #expect(!error.message.isEmpty)
        }
        #expect(ContinuousClock.now - start < .seconds(15))
    }
}
