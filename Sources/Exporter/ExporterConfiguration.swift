import Foundation
import DaemonRuntime
import IncidentLog
import Kafka

/// `aiops exporter`'s configuration. It writes nothing, so it needs no signing
/// key: only the public keys, so that it counts authentic events only.
public struct ExporterConfiguration: Sendable {
    /// The groups the daemons consume as (the embedder reads the corpus topic, the rest the incident log).
    public static let defaultGroups = DaemonGroup.allCases.map(\.rawValue)

    public var kafka: KafkaConfiguration
    public var topics: TopicSet
    public var keyring: Keyring
    /// Address of `/metrics`, `/healthz`, `/readyz`.
    public var host = "127.0.0.1"
    public var port = 9101
    public var groups = Self.defaultGroups
    /// Time between offset samples; a group's status is judged over the last `window` samples.
    public var interval: Duration = .seconds(15)
    public var window = 5
    /// Seconds a resolved incident's state stays in the log's fold after the log moves past its resolution.
    public var retain: TimeInterval = 24 * 3600

    public init(kafka: KafkaConfiguration, topics: TopicSet, keyring: Keyring) {
        self.kafka = kafka
        self.topics = topics
        self.keyring = keyring
    }

    /// The topic a group reads.
    func topic(of group: String) -> String {
        DaemonGroup.readsCorpus(group) ? topics.corpus : topics.incidents
    }
}
