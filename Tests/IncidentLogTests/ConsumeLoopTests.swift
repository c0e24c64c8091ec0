import Crypto
import Foundation
@testable import DaemonRuntime
import DaemonRuntime
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

/// Records the size of every batch it is handed (and of every single record, as a batch of one).
struct BatchSizeRecorder: BatchMessageHandler {
    final class Sizes: Sendable {
        let value = Mutex<[Int]>([])
        func withLock<T>(_ body: (inout [Int]) -> T) -> T { value.withLock { body(&$0) } }
    }
    let sizes = Sizes()
    var maxBatchSize: Int { 16 }
    func handle(batch: [KafkaConsumerMessage]) async throws -> [KafkaOutgoingMessage] {
        sizes.withLock { $0.append(batch.count) }
        return []
    }
    func handle(_ message: KafkaConsumerMessage) async throws -> [KafkaOutgoingMessage] {
        sizes.withLock { $0.append(1) }
        return []
    }
}

@Suite("consume → handle → produce loop")
struct ConsumeLoopTests {
    @Test func poisonMessageIsDeadLetteredAndLaterMessagesStillFlow() async throws {
        let topics = try TestKafka.topics()
        let producer = try TestKafka.producer()
        let group = TestKafka.uniqueGroup()
        let consumer = try TestKafka.consumer(group: group, topics: [topics.alerts])
        let handler = EchoHandler(topics: topics)
        let loop = ConsumeLoop(consumer: consumer, producer: producer, handler: handler, authenticator: TestKeys.authenticator(topics), group: group,
                               retry: RetryPolicy(maxAttempts: 3, initialBackoff: .milliseconds(5)),
                               logger: TestKafka.logger)
        let task = Task { try await loop.run() }
        // One partition key so order is defined.
        for v in ["first", "poison", "flaky", "last"] {
            try await producer.send(KafkaOutgoingMessage(topic: topics.alerts, key: "k", value: Array(v.utf8)))
        }
        let letters = try await TestKafka.read(topics.deadLetter, count: 1, timeout: .seconds(60))
        let outputs = try await TestKafka.read(topics.incidents, count: 3, timeout: .seconds(60))
        task.cancel()
        _ = try? await task.value
        await producer.close()

        #expect(letters.count == 1)
        let letter = try JSONDecoder().decode(DeadLetter.self, from: Data(try #require(letters.first).value))
        #expect(letter.sourceTopic == topics.alerts)
        #expect(letter.sourceOffset == 1)
        #expect(letter.error.contains("poison"))
        #expect(letter.attempts == 1) // permanent: no pointless retries
        #expect(Data(base64Encoded: letter.valueBase64) == Data("poison".utf8))
        #expect(TestSchemas.violations(of: try #require(letters.first), as: "DeadLetter") == [])

        let reasons = try outputs.map { try IncidentEventCodec.decode($0) }.compactMap { e -> String? in
            if case .incidentResolved(let r) = e.payload { return r.reason } else { return nil }
        }
        #expect(Set(reasons) == ["echo first", "echo flaky", "echo last"])
        #expect(handler.attempts.withLock { $0[2] } == 3) // flaky: retried until it worked
        for o in outputs { #expect(TestSchemas.violations(ofIncidentRecord: o) == []) }
    }

    @Test func authenticRecordsThatAreNotIncidentEventsAreHandledInBatches() async throws {
        // Corpus records are accepted but carry no incident event: the loop must not take them for rejected ones
        // and fall back to one by one (which cost the embedder its batching).
        let topics = try TestKafka.topics()
        let authenticator = TestKeys.authenticator(topics)
        let producer = try TestKafka.producer()
        let records = (0..<12).map { KafkaOutgoingMessage(topic: topics.corpus, key: "runbooks/r\($0)", value: Array("{}".utf8)) }
        try await producer.send(records)
        let sent = try await TestKafka.read(topics.corpus, count: 12, timeout: .seconds(60))
        #expect(sent.allSatisfy(authenticator.accepts))
        #expect(sent.allSatisfy { (try? authenticator.check($0)) == .some(nil) }, "accepted, and no incident event")
        let group = TestKafka.uniqueGroup()
        let handler = BatchSizeRecorder()
        let loop = ConsumeLoop(consumer: try TestKafka.consumer(group: group, topics: [topics.corpus]), producer: producer,
                               handler: handler, authenticator: authenticator, group: group, logger: TestKafka.logger)
        let task = Task { try await loop.run() }
        let deadline = ContinuousClock.now + .seconds(60)
        while handler.sizes.withLock({ $0.reduce(0, +) }) < 12, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        task.cancel()
        _ = try? await task.value
        await producer.close()
        let sizes = handler.sizes.withLock { $0 }
        #expect(sizes.reduce(0, +) == 12)
        #expect(sizes.contains { $0 > 1 }, "batch sizes \(sizes)")
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
        let loop = ConsumeLoop(consumer: consumer, producer: producer, handler: AlwaysFails(), authenticator: TestKeys.authenticator(topics),
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
                                authenticator: TestKeys.authenticator(topics), group: group, logger: TestKafka.logger)
        loop1.beforeStoringOffset = { m in if m.offset == 1 { throw SimulatedCrash() } }
        await #expect(throws: SimulatedCrash.self) { try await loop1.run() }
        try await first.commit()
        await first.abandon()

        // Second incarnation in the same group gets "b" again.
        let second = try TestKafka.consumer(group: group, topics: [topics.corpus])
        let loop2 = ConsumeLoop(consumer: second, producer: producer, handler: EchoHandler(topics: topics),
                                authenticator: TestKeys.authenticator(topics), group: group, logger: TestKafka.logger)
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
                               authenticator: TestKeys.authenticator(topics), group: group, logger: TestKafka.logger)
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
        let port = Setting("INGESTOR_PORT", flag: "port", default: "1", "p")
        let brokers = Setting("KAFKA_BROKERS", default: "d", "b")
        let empty = Setting("EMPTY", default: "d", "e")
        let src = ConfigSource(environment: ["KAFKA_BROKERS": "env:9092", "INGESTOR_PORT": "7000", "EMPTY": ""])
        #expect(try src.string(brokers) == "env:9092")
        #expect(try ConfigSource(environment: src.environment, flags: ["kafka-brokers": "flag:9092"]).string(brokers) == "flag:9092")
        #expect(try src.string(empty) == "d")
        #expect(try src.int(port) == 7000)
        #expect(try ConfigSource(environment: src.environment, flags: ["port": "9"]).int(port) == 9)
        #expect(throws: ConfigError.self) { try ConfigSource(environment: ["INGESTOR_PORT": "x"]).int(port) }
        #expect(throws: ConfigError.self) { try ConfigSource(environment: [:]).string(Setting("REQUIRED", "r")) }
    }

    @Test func secretsComeFromFiles() throws {
        let file = TestScratch.path("secret")
        try "s3cret\n".write(to: file, atomically: true, encoding: .utf8)
        let key = Setting("SOME_KEY", secret: true, "k")
        #expect(try ConfigSource(environment: ["SOME_KEY_FILE": file.path]).string(key) == "s3cret")
        #expect(throws: ConfigError.self) { try ConfigSource(environment: ["SOME_KEY_FILE": "/nonexistent"]).string(key) }
    }

    @Test func commandLineFlags() throws {
        let settings = [Setting("INGESTOR_PORT", flag: "port", default: "1", "p")]
        #expect(try DaemonMain.parse(["--port", "5", "--port=6"], settings: settings) == ["port": "6"])
        #expect(try DaemonMain.parse(["--help"], settings: settings) == nil)
        #expect(throws: ConfigError.self) { try DaemonMain.parse(["--nope", "1"], settings: settings) }
        #expect(throws: ConfigError.self) { try DaemonMain.parse(["--port"], settings: settings) }
        #expect(throws: ConfigError.self) { try DaemonMain.parse(["stray"], settings: settings) }
    }

    @Test func kafkaPropertiesParseAndRejectGarbage() throws {
        #expect(try CommonConfiguration.parseProperties("security.protocol=SASL_SSL, sasl.mechanism=PLAIN")
            == ["security.protocol": "SASL_SSL", "sasl.mechanism": "PLAIN"])
        #expect(throws: ConfigError.self) { try CommonConfiguration.parseProperties("novalue") }
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
                               handler: handler, authenticator: TestKeys.authenticator(topics), group: group,
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

@Suite("consume loop lanes")
struct LaneSchedulerTests {
    @Test func anOffsetIsStoredOnlyWhenEveryEarlierRecordOfItsPartitionIsDone() async throws {
        let finished = Mutex<Set<Int64>>([])
        let stores = Mutex<[Int64]>([])
        let violations = Mutex<[String]>([])
        let scheduler = LaneScheduler(limit: 8) { _, _, next in
            let done = finished.withLock { $0 }
            if let early = (0..<next).first(where: { !done.contains($0) }) {
                violations.withLock { $0.append("stored \(next) while \(early) was in flight") }
            }
            stores.withLock { $0.append(next) }
        }
        // Six records of one partition in three lanes; they finish in reverse order of arrival.
        let gates = (0..<6).map { _ in AsyncStream<Void>.makeStream() }
        for i in 0..<6 {
            let m = KafkaConsumerMessage(topic: "t", partition: 0, offset: Int64(i), key: nil, value: [])
            let gate = gates[i].stream
            await scheduler.submit(m, lane: "lane\(i % 3)") {
                for await _ in gate { break }
                finished.withLock { _ = $0.insert(Int64(i)) }
            }
        }
        for i in (0..<6).reversed() { gates[i].continuation.yield() }
        await scheduler.drain()
        #expect(violations.withLock { $0 } == [])
        #expect(stores.withLock { $0.last } == 6, "everything done: the next offset is 6")
        #expect(stores.withLock { $0 } == stores.withLock { $0 }.sorted(), "stores never go back")
    }
}

@Suite("dead letters")
struct DeadLetterTests {
    @Test func aRecordTooLargeToCopyIsCutAndIdentifiedByItsHash() throws {
        let value = [UInt8](repeating: UInt8(ascii: "x"), count: 700_000)
        let letter = DeadLetter(sourceTopic: "aiops.incidents.v1", sourcePartition: 0, sourceOffset: 3, sourceKey: nil, value: value,
                                consumerGroup: "g", error: "rejected (invalid_event): not JSON", attempts: 0, failedAt: Date())
        #expect(Data(base64Encoded: letter.valueBase64)?.count == DeadLetter.maxValueBytes)
        #expect(letter.valueBytes == 700_000)
        #expect(letter.valueSHA256 == SHA256.hash(data: value).map { String(format: "%02x", $0) }.joined())
        let record = try letter.message(topics: TopicSet())
        #expect(record.value.count < 400_000, "the dead letter fits where the record did not")
        #expect(TestSchemas.violations(of: KafkaConsumerMessage(topic: record.topic, partition: 0, offset: 0, key: record.key,
                                                                value: record.value), as: "DeadLetter") == [])
    }
}
