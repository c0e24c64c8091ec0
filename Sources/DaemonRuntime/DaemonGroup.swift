/// The consumer groups the daemons read as by default (each overridable with `<PREFIX>_GROUP`), named once for the
/// daemons' configurations and for `aiops exporter`, which reports their progress.
public enum DaemonGroup: String, CaseIterable, Sendable {
    case embedder = "aiops-embedder"
    case retriever = "aiops-retriever"
    case reasoner = "aiops-reasoner"
    case approver = "aiops-approver"
    /// The approver's notifications: a group of its own (`<APPROVER_GROUP>-notify`), so people are told about what is
    /// in the log at least once, whatever the approver itself has committed.
    case approverNotify = "aiops-approver-notify"
    case executor = "aiops-executor"

    /// The suffix that makes the approver's notification group of its (configured) group.
    public static let notifySuffix = "-notify"

    /// The daemon that consumes as this group (its producer name).
    public var daemon: String {
        switch self {
        case .embedder: "embedder"
        case .retriever: "retriever"
        case .reasoner: "reasoner"
        case .approver, .approverNotify: "approver"
        case .executor: "executor"
        }
    }

    /// Whether the group reads the corpus topic (the embedder) rather than the incident log.
    public static func readsCorpus(_ group: String) -> Bool { group == embedder.rawValue }
}
