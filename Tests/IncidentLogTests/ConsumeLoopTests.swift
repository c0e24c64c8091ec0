import Foundation
@testable import DaemonRuntime
import IncidentLog
import Kafka
import Logging
import Synchronization
import TestSupport
import Testing

/// Reacts to each input record with one incident event whose id derives from
/// the input's position, as a real daemon derives ids from the cause.
struct EchoHandler: MessageHandler {
    let topics: TopicSet
    final class Attempts: Sendable {
        let counts = Mutex<[Int64: Int]>([:])
        func withLock<T>(_ body: (inout [Int64: Int]) -> T) -> T { counts.withLock { body(&$0) } }
    }
    let attempts = Attempts()

    func handle(_ message: KafkaConsumerMessage) async throws -> [KafkaOutgoingMessage] {
        attempts.withLock { $0[message.offset, default: 0] += 1 }
        let text = String(decoding: message.value, as: UTF8.self)
        if text == "poison" { throw PermanentHandlerError("cannot handle \"poison\"") }
        if text == "flaky" && attempts.withLock({ $0[message.offset]! }) < 3 {
            throw KafkaError(.consume, "transient failure")
        }
        let incident = EventIDs.incident(source: "test", parts: [text])
        let event = IncidentEvent.derived(
            incidentID: incident, producer: "echo", causationID: "\(message.topic)/\(message.partition)/\(message.offset)",
            step: "echo", trace: .newRoot(), payload: .incidentResolved(IncidentResolved(reason: "echo \(text)")))
        return [try IncidentEventCodec.encode(event, topics: topics)]
    }
}

struct SimulatedCrash: ConsumeLoopCrash {}

@Suite("consume → handle → produce loop")
struct ConsumeLoopTests {
    @Test func poisonMessageIsDeadLetteredAndLaterMessagesStillFlow() async throws {
        let topics = try TestKafka.topics()
        let producer = try TestKafka.producer()
        let group = TestKafka.uniqueGroup()
        let consumer = try TestKafka.consumer(group: group, topics: [topics.alerts])
        let handler = EchoHandler(topics: topics)
        let loop = ConsumeLoop(consumer: consumer, producer: producer, handler: handler, topics: topics, group: group,
                               retry: RetryPolicy(maxAttempts: 3, initialBackoff: .milliseconds(5)),
                               logger: TestKafka.logger)
        let task = Task { try await loop.run() }
        // One partition key so order is defined.
        for v in ["first", "poison", "flaky", "last"] {
            try await producer.send(KafkaOutgoingMessage(topic: topics.alerts, key: "k", value: Array(v.utf8)))
        }
        let letters = try await TestKafka.read(topics.deadLetter, count: 1)
        let outputs = try await TestKafka.read(topics.incidents, count: 3)
        task.cancel()
        _ = try? await task.value
        await producer.close()

        #expect(letters.count == 1)
        let letter = try JSONDecoder().decode(DeadLetter.self, from: Data(letters[0].value))
        #expect(letter.sourceTopic == topics.alerts)
        #expect(letter.sourceOffset == 1)
        #expect(letter.error.contains("poison"))
        #expect(letter.attempts == 1) // permanent: no pointless retries
        #expect(Data(base64Encoded: letter.valueBase64) == Data("poison".utf8))
        #expect(TestSchemas.violations(of: letters[0], as: "DeadLetter") == [])

        let reasons = try outputs.map { try IncidentEventCodec.decode($0) }.compactMap { e -> String? in
            if case .incidentResolved(let r) = e.payload { return r.reason } else { return nil }
        }
        #expect(Set(reasons) == ["echo first", "echo flaky", "echo last"])
        #expect(handler.attempts.withLock { $0[2] } == 3) // flaky: retried until it worked
        for o in outputs { #expect(TestSchemas.violations(ofIncidentRecord: o) == []) }
    }

    @Test func handlerThatAlwaysFailsIsDeadLetteredAfterBoundedRetries() async throws {
        struct AlwaysFails: MessageHandler {
            func handle(_ message: KafkaConsumerMessage) async throws -> [KafkaOutgoingMessage] {
                throw KafkaError(.consume, "database down")
            }
        }
        let topics = try TestKafka.topics()
        let producer = try TestKafka.producer()
        let group = TestKafka.uniqueGroup()
        let consumer = try TestKafka.consumer(group: group, topics: [topics.alerts])
        let loop = ConsumeLoop(consumer: consumer, producer: producer, handler: AlwaysFails(), topics: topics,
                               group: group, retry: RetryPolicy(maxAttempts: 4, initialBackoff: .milliseconds(5)),
                               logger: TestKafka.logger)
        let task = Task { try await loop.run() }
        try await producer.send(KafkaOutgoingMessage(topic: topics.alerts, key: "k", value: Array("x".utf8)))
        let letters = try await TestKafka.read(topics.deadLetter, count: 1)
        task.cancel()
        _ = try? await task.value
        await producer.close()
        let letter = try JSONDecoder().decode(DeadLetter.self, from: Data(try #require(letters.first).value))
        #expect(letter.attempts == 4)
        #expect(letter.error.contains("database down"))
    }

    @Test func crashBeforeCommitRedeliversAndTheDuplicateOutputIsDropped() async throws {
        let topics = try TestKafka.topics()
        let producer = try TestKafka.producer()
        let group = TestKafka.uniqueGroup()
        try await producer.send(["a", "b"].map {
            KafkaOutgoingMessage(topic: topics.corpus, key: "k", value: Array($0.utf8))
        })

        // First incarnation: handles "a" fully, then dies after producing the
        // output of "b" and before storing its offset.
        let first = try TestKafka.consumer(group: group, topics: [topics.corpus])
        var loop1 = ConsumeLoop(consumer: first, producer: producer, handler: EchoHandler(topics: topics),
                                topics: topics, group: group, logger: TestKafka.logger)
        loop1.beforeStoringOffset = { m in if m.offset == 1 { throw SimulatedCrash() } }
        await #expect(throws: SimulatedCrash.self) { try await loop1.run() }
        try await first.commit()
        await first.abandon()

        // Second incarnation in the same group gets "b" again.
        let second = try TestKafka.consumer(group: group, topics: [topics.corpus])
        let loop2 = ConsumeLoop(consumer: second, producer: producer, handler: EchoHandler(topics: topics),
                                topics: topics, group: group, logger: TestKafka.logger)
        let task = Task { try await loop2.run() }
        let outputs = try await TestKafka.read(topics.incidents, count: 3, timeout: .seconds(30))
        task.cancel()
        _ = try? await task.value
        await producer.close()

        let events = try outputs.map { try IncidentEventCodec.decode($0) }
        #expect(events.count == 3) // a, b, and b again
        #expect(Set(events.map(\.eventID)).count == 2) // …with the same id
        var fold = IncidentLogFold()
        for e in events { fold.apply(e) }
        #expect(fold.duplicates == 1)
        #expect(fold.incidents.count == 2)
    }
}

import ServiceLifecycle

@Suite("Graceful shutdown")
struct GracefulShutdownTests {
    @Test func shutdownFinishesCommitsAndLeavesSoTheNextMemberResumesAfterIt() async throws {
        let topics = try TestKafka.topics()
        let producer = try TestKafka.producer()
        let group = TestKafka.uniqueGroup()
        try await producer.send(["one", "two"].map { KafkaOutgoingMessage(topic: topics.corpus, key: "k", value: Array($0.utf8)) })
        let consumer = try TestKafka.consumer(group: group, topics: [topics.corpus])
        let loop = ConsumeLoop(consumer: consumer, producer: producer, handler: EchoHandler(topics: topics),
                               topics: topics, group: group, logger: TestKafka.logger)
        let services = ServiceGroup(services: [loop], logger: TestKafka.logger)
        let running = Task { try await services.run() }
        _ = try await TestKafka.read(topics.incidents, count: 2)
        await services.triggerGracefulShutdown()
        try await running.value

        try await producer.send(KafkaOutgoingMessage(topic: topics.corpus, key: "k", value: Array("three".utf8)))
        let next = try TestKafka.consumer(group: group, topics: [topics.corpus])
        var first: String?
        for try await m in next.messages { first = String(decoding: m.value, as: UTF8.self); break }
        await next.close()
        await producer.close()
        #expect(first == "three")
    }
}

@Suite("Configuration precedence")
struct ConfigSourceTests {
    @Test func flagBeatsEnvironmentBeatsDefault() throws {
        let src = ConfigSource(environment: ["KAFKA_BROKERS": "env:9092", "INGESTOR_PORT": "7000", "EMPTY": ""])
        #expect(src.string("flag:9092", env: "KAFKA_BROKERS", default: "d") == "flag:9092")
        #expect(src.string(nil, env: "KAFKA_BROKERS", default: "d") == "env:9092")
        #expect(src.string(nil, env: "EMPTY", default: "d") == "d")
        #expect(try src.int(nil, env: "INGESTOR_PORT", default: 1) == 7000)
        #expect(try src.int(9, env: "INGESTOR_PORT", default: 1) == 9)
        #expect(throws: ConfigError.self) { try ConfigSource(environment: ["P": "x"]).int(nil, env: "P", default: 1) }
    }

    @Test func kafkaPropertiesParseAndRejectGarbage() throws {
        let ok = ConfigSource(environment: ["KAFKA_PROPERTIES": "security.protocol=SASL_SSL, sasl.mechanism=PLAIN"])
        #expect(try ok.kafkaProperties() == ["security.protocol": "SASL_SSL", "sasl.mechanism": "PLAIN"])
        #expect(throws: ConfigError.self) {
            try ConfigSource(environment: ["KAFKA_PROPERTIES": "novalue"]).kafkaProperties()
        }
    }
}

@Suite("Outages are not poison")
struct TransientFailureTests {
    /// Fails with a dependency outage more times than the retry budget, then works.
    struct FlakyDependency: MessageHandler {
        let topics: TopicSet
        let calls = EchoHandler.Attempts()
        func handle(_ message: KafkaConsumerMessage) async throws -> [KafkaOutgoingMessage] {
            let n = calls.withLock { $0[message.offset, default: 0] += 1; return $0[message.offset]! }
            if n <= 8 { throw TransientHandlerError(KafkaError(.consume, "embeddings server down")) }
            return try await EchoHandler(topics: topics).handle(message)
        }
    }

    @Test func aDependencyOutageIsWaitedOutWithoutDeadLettering() async throws {
        let topics = try TestKafka.topics()
        let producer = try TestKafka.producer()
        let group = TestKafka.uniqueGroup()
        let handler = FlakyDependency(topics: topics)
        let loop = ConsumeLoop(consumer: try TestKafka.consumer(group: group, topics: [topics.corpus]), producer: producer,
                               handler: handler, topics: topics, group: group,
                               retry: RetryPolicy(maxAttempts: 3, initialBackoff: .milliseconds(5), maxBackoff: .milliseconds(20)),
                               logger: TestKafka.logger)
        let task = Task { try await loop.run() }
        try await producer.send(KafkaOutgoingMessage(topic: topics.corpus, key: "k", value: Array("doc".utf8)))
        let outputs = try await TestKafka.read(topics.incidents, count: 1)
        task.cancel()
        _ = try? await task.value
        #expect(outputs.count == 1)
        #expect(handler.calls.withLock { $0[0] } == 9) // 8 outages, then success: more than maxAttempts
        #expect(try await TestKafka.readAll(topics.deadLetter).isEmpty)
        await producer.close()
    }
}
