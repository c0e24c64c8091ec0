/// Which producer may write which event type: each type has its owner(s),
/// and a record of a type written by anyone else is not a fact of the log.
/// Consumers check this after they have authenticated who wrote the record.
public enum EventOwnership {
    public static let ingestor = "alert-ingestor"
    public static let corpusSync = "corpus-sync"

    public static let owners: [String: Set<String>] = [
        "IncidentOpened": [ingestor], "AlertAttached": [ingestor], "AlertResolved": [ingestor],
        "IncidentResolved": [ingestor],
        "RetrievalCompleted": ["retriever"],
        "ActionProposed": ["reasoner"], "TriageProposed": ["reasoner"],
        "ApprovalRequested": ["approver"], "ActionApproved": ["approver"], "ActionRejected": ["approver"],
        "ApprovalExpired": ["approver"], "TriageFeedback": ["approver"],
        "ActionStarted": ["executor"], "ActionExecuted": ["executor"], "ActionFailed": ["executor"],
        "ActionOutcomeUnknown": ["executor"],
        "IncidentEscalated": ["reasoner", "approver", "executor"],
    ]

    /// Every producer identity (the keys `aiops keys generate` makes); the embedder writes only dead letters.
    public static let producers: [String] = [ingestor, "embedder", "retriever", "reasoner", "approver", "executor", corpusSync]

    /// Whether `producer` may write `type`. A type this build does not know has
    /// no owner to check; daemons never act on such events.
    public static func mayWrite(_ producer: String, _ type: String) -> Bool {
        guard let allowed = owners[type] else { return producers.contains(producer) }
        return allowed.contains(producer)
    }
}
