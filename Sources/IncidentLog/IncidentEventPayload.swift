/// The payload of an incident event; its case is the event's `type`.
public enum IncidentEventPayload: Sendable, Hashable {
    case incidentOpened(IncidentOpened)
    case alertAttached(AlertAttached)
    case alertResolved(AlertResolved)
    case incidentResolved(IncidentResolved)
    case retrievalCompleted(RetrievalCompleted)
    case actionApproved(ActionApproved)
    case actionStarted(ActionStarted)
    case actionExecuted(ActionExecuted)
    case actionFailed(ActionFailed)
    case actionOutcomeUnknown(ActionOutcomeUnknown)
    case incidentEscalated(IncidentEscalated)
    case actionProposed(ActionProposed)
    case approvalRequested(ApprovalRequested)
    case actionRejected(ActionRejected)
    case approvalExpired(ApprovalExpired)
    case triageProposed(TriageProposed)
    case triageFeedback(TriageFeedback)
    /// A type this build does not know, kept as it was.
    case unknown(type: String, payload: JSONValue)

    public var type: String {
        switch self {
        case .incidentOpened: "IncidentOpened"
        case .alertAttached: "AlertAttached"
        case .alertResolved: "AlertResolved"
        case .incidentResolved: "IncidentResolved"
        case .retrievalCompleted: "RetrievalCompleted"
        case .actionApproved: "ActionApproved"
        case .actionStarted: "ActionStarted"
        case .actionExecuted: "ActionExecuted"
        case .actionFailed: "ActionFailed"
        case .actionOutcomeUnknown: "ActionOutcomeUnknown"
        case .incidentEscalated: "IncidentEscalated"
        case .actionProposed: "ActionProposed"
        case .approvalRequested: "ApprovalRequested"
        case .actionRejected: "ActionRejected"
        case .approvalExpired: "ApprovalExpired"
        case .triageProposed: "TriageProposed"
        case .triageFeedback: "TriageFeedback"
        case .unknown(let type, _): type
        }
    }

    /// The payload value itself, for encoding.
    public var value: any Encodable & Sendable {
        switch self {
        case .incidentOpened(let p): p
        case .alertAttached(let p): p
        case .alertResolved(let p): p
        case .incidentResolved(let p): p
        case .retrievalCompleted(let p): p
        case .actionApproved(let p): p
        case .actionStarted(let p): p
        case .actionExecuted(let p): p
        case .actionFailed(let p): p
        case .actionOutcomeUnknown(let p): p
        case .incidentEscalated(let p): p
        case .actionProposed(let p): p
        case .approvalRequested(let p): p
        case .actionRejected(let p): p
        case .approvalExpired(let p): p
        case .triageProposed(let p): p
        case .triageFeedback(let p): p
        case .unknown(_, let p): p
        }
    }

    /// Current schema version of each known type.
    public var schemaVersion: Int { 1 }
}
