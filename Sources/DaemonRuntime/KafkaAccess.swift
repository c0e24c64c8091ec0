import IncidentLog
import Kafka

/// Who may do what on Kafka: one principal per daemon and tool, allowed exactly
/// the topics and consumer groups it uses. It is derived from what the code
/// already declares — which producer owns which event types
/// (`EventOwnership`), which daemon consumes as which group (`DaemonGroup`) —
/// so the ACLs shipped in deploy/ (`aiops topics acls`) cannot drift from
/// what the daemons do. ACLs cannot say which event *types* a principal
/// writes to the incident log; the record signatures do that (ADR 0007).
public enum KafkaAccess {
    /// A principal's name: `aiops-` and the producer or tool it is.
    public static func principal(_ name: String) -> String { "aiops-" + name }

    /// The daemons that rebuild their state by reading the incident log from the start
    /// (a reader of their own, outside any committed group).
    static let logReaders: Set<String> = [EventOwnership.ingestor, "reasoner", "approver", "executor"]

    /// Every principal with its grants, for the topics of `topics`.
    public static func principals(topics: TopicSet) -> [KafkaPrincipal] {
        let writers = Set(EventOwnership.owners.values.flatMap { $0 })
        // A log reader names a throwaway group (`aiops-reader-<uuid>`) it never commits in.
        let reader = KafkaGrant(.group, KafkaTopicReader.groupPrefix, prefixed: true, [.read])
        // Every aiops topic of this deployment, by prefix.
        let everyTopic = topics.prefix + "aiops."
        var out: [KafkaPrincipal] = []
        for producer in EventOwnership.producers where producer != EventOwnership.corpusSync {
            var grants: [KafkaGrant] = []
            if producer == EventOwnership.ingestor {
                grants.append(KafkaGrant(.topic, topics.alerts, [.write, .describe]))
            }
            let groups = DaemonGroup.allCases.filter { $0.daemon == producer }
            let consumed = Set(groups.map { DaemonGroup.readsCorpus($0.rawValue) ? topics.corpus : topics.incidents })
            for topic in [topics.incidents, topics.corpus] {
                var ops: [KafkaOperation] = []
                if consumed.contains(topic) || (topic == topics.incidents && logReaders.contains(producer)) { ops.append(.read) }
                if topic == topics.incidents && writers.contains(producer) { ops.append(.write) }
                if !ops.isEmpty { grants.append(KafkaGrant(.topic, topic, ops + [.describe])) }
            }
            // A consume loop dead-letters what it cannot handle.
            if !groups.isEmpty { grants.append(KafkaGrant(.topic, topics.deadLetter, [.write, .describe])) }
            grants += groups.map { KafkaGrant(.group, $0.rawValue, [.read]) }
            if logReaders.contains(producer) { grants.append(reader) }
            out.append(KafkaPrincipal(name: principal(producer), purpose: "the \(producer) daemon", grants: grants))
        }
        out.append(KafkaPrincipal(
            name: principal(EventOwnership.corpusSync), purpose: "`aiops corpus sync` (diffs against the compacted corpus topic)",
            grants: [KafkaGrant(.topic, topics.corpus, [.read, .write, .describe]), reader]))
        out.append(KafkaPrincipal(
            name: principal("exporter"), purpose: "`aiops exporter` (offsets, group progress, the log's figures)",
            grants: [KafkaGrant(.topic, everyTopic, prefixed: true, [.read, .describe])]
                + DaemonGroup.allCases.map { KafkaGrant(.group, $0.rawValue, [.describe]) } + [reader]))
        out.append(KafkaPrincipal(
            name: principal("operator"), purpose: "people's `aiops` commands that read (replay, incidents, reports)",
            grants: [KafkaGrant(.topic, everyTopic, prefixed: true, [.read, .describe]), reader]))
        out.append(KafkaPrincipal(
            name: principal("topics"), purpose: "`aiops topics create`",
            grants: [KafkaGrant(.topic, everyTopic, prefixed: true, [.create, .describe, .describeConfigs])]))
        return out
    }
}
