import DaemonRuntime
import Foundation
import IncidentLog
import Kafka

/// One key per producer for the test process, the keyring that trusts them,
/// and the same as files for configurations read from an environment.
public enum TestKeys {
    public static let set: KeySet = try! KeySet.generate(suffix: "test")
    public static var keyring: Keyring { TestKeys.set.keyring }

    public static func key(_ producer: String) -> ProducerKey { try! TestKeys.set.key(producer) }

    public static func signer(_ producer: String) -> RecordSigner { RecordSigner(key: key(producer)) }

    public static func authenticator(_ topics: TopicSet) -> RecordAuthenticator {
        RecordAuthenticator(keyring: keyring, topics: topics)
    }

    /// A daemon's common configuration on the test cluster.
    public static func common(_ producer: String, topics: TopicSet, cluster: KafkaMockCluster = TestKafka.shared)
        -> CommonConfiguration {
        CommonConfiguration(kafka: TestKafka.configuration(cluster), topics: topics, key: key(producer), keyring: keyring)
    }

    /// The key files: `<producer>.key.json` and `trusted-keys.json`.
    public static let directory: URL = {
        let dir = TestScratch.path("aiops-test-keys")
        try! FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for p in EventOwnership.producers { try! key(p).fileData().write(to: dir.appendingPathComponent("\(p).key.json")) }
        try! keyring.fileData().write(to: dir.appendingPathComponent("trusted-keys.json"))
        return dir
    }()

    /// `AIOPS_SIGNING_KEY_FILE` and `AIOPS_TRUSTED_KEYS_FILE` for `producer`.
    public static func environment(_ producer: String) -> [String: String] {
        ["AIOPS_SIGNING_KEY_FILE": directory.appendingPathComponent("\(producer).key.json").path,
         "AIOPS_TRUSTED_KEYS_FILE": directory.appendingPathComponent("trusted-keys.json").path]
    }
}

/// Signs each record as the producer it claims to be (the envelope's `producer` on the incident log,
/// `corpus-sync` on the corpus topic, the ingestor elsewhere): tests that play several producers
/// through one Kafka producer. Forgery tests use a specific key or none.
public struct ClaimedProducerSigner: KafkaRecordSigner {
    public init() {}

    public func sign(_ messages: [KafkaOutgoingMessage]) throws -> [KafkaOutgoingMessage] {
        try messages.map { m in try TestKeys.signer(Self.claimed(m)).sign([m])[0] }
    }

    static func claimed(_ m: KafkaOutgoingMessage) -> String {
        if m.topic.hasSuffix(Topics.corpus.name) { return EventOwnership.corpusSync }
        if m.topic.hasSuffix(Topics.incidents.name),
           let o = try? JSONSerialization.jsonObject(with: Data(m.value)) as? [String: Any],
           let p = o["producer"] as? String, EventOwnership.producers.contains(p) {
            return p
        }
        return EventOwnership.ingestor
    }
}

/// Ids in the formats of the log for names tests use (`req-1` → `ev-…`).
public enum TestIDs {
    public static func request(_ name: String) -> String { EventIDs.event(causation: name, producer: "test", step: "request") }
}
