import Foundation

/// One fact in the incident event log (`aiops.incidents.v1`, key = incident id).
public struct IncidentEvent: Sendable, Hashable {
    public var eventID: String
    public var incidentID: String
    public var schemaVersion: Int
    public var occurredAt: Date
    public var producer: String
    /// The event (or input record) this one reacts to.
    public var causationID: String?
    public var trace: TraceContext
    public var payload: IncidentEventPayload

    public var type: String { payload.type }

    public init(eventID: String, incidentID: String, occurredAt: Date, producer: String, causationID: String?,
                trace: TraceContext, payload: IncidentEventPayload) {
        self.eventID = eventID
        self.incidentID = incidentID
        self.schemaVersion = payload.schemaVersion
        self.occurredAt = occurredAt
        self.producer = producer
        self.causationID = causationID
        self.trace = trace
        self.payload = payload
    }

    /// An event whose id is derived from its cause, producer and step, so that
    /// handling the same cause again yields the same event.
    public static func derived(incidentID: String, producer: String, causationID: String, step: String,
                               trace: TraceContext, occurredAt: Date = Date(),
                               payload: IncidentEventPayload) -> IncidentEvent {
        IncidentEvent(eventID: EventIDs.event(causation: causationID, producer: producer, step: step),
                      incidentID: incidentID, occurredAt: occurredAt, producer: producer,
                      causationID: causationID, trace: trace, payload: payload)
    }
}

extension IncidentEvent: Codable {
    enum CodingKeys: String, CodingKey {
        case eventID = "event_id", incidentID = "incident_id", type, schemaVersion = "schema_version"
        case occurredAt = "occurred_at", producer, causationID = "causation_id", trace, payload
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        eventID = try c.decode(String.self, forKey: .eventID)
        incidentID = try c.decode(String.self, forKey: .incidentID)
        schemaVersion = try c.decode(Int.self, forKey: .schemaVersion)
        let at = try c.decode(String.self, forKey: .occurredAt)
        guard let date = RFC3339.parse(at) else {
            throw DecodingError.dataCorruptedError(forKey: .occurredAt, in: c, debugDescription: "not RFC 3339: \(at)")
        }
        occurredAt = date
        producer = try c.decode(String.self, forKey: .producer)
        causationID = try c.decodeIfPresent(String.self, forKey: .causationID)
        trace = try c.decode(TraceContext.self, forKey: .trace)
        let type = try c.decode(String.self, forKey: .type)
        switch type {
        case "IncidentOpened": payload = .incidentOpened(try c.decode(IncidentOpened.self, forKey: .payload))
        case "AlertAttached": payload = .alertAttached(try c.decode(AlertAttached.self, forKey: .payload))
        case "AlertResolved": payload = .alertResolved(try c.decode(AlertResolved.self, forKey: .payload))
        case "IncidentResolved": payload = .incidentResolved(try c.decode(IncidentResolved.self, forKey: .payload))
        case "RetrievalCompleted": payload = .retrievalCompleted(try c.decode(RetrievalCompleted.self, forKey: .payload))
        case "ActionApproved": payload = .actionApproved(try c.decode(ActionApproved.self, forKey: .payload))
        case "ActionStarted": payload = .actionStarted(try c.decode(ActionStarted.self, forKey: .payload))
        case "ActionExecuted": payload = .actionExecuted(try c.decode(ActionExecuted.self, forKey: .payload))
        case "ActionFailed": payload = .actionFailed(try c.decode(ActionFailed.self, forKey: .payload))
        case "ActionOutcomeUnknown": payload = .actionOutcomeUnknown(try c.decode(ActionOutcomeUnknown.self, forKey: .payload))
        case "IncidentEscalated": payload = .incidentEscalated(try c.decode(IncidentEscalated.self, forKey: .payload))
        case "ActionProposed": payload = .actionProposed(try c.decode(ActionProposed.self, forKey: .payload))
        case "ApprovalRequested": payload = .approvalRequested(try c.decode(ApprovalRequested.self, forKey: .payload))
        case "ActionRejected": payload = .actionRejected(try c.decode(ActionRejected.self, forKey: .payload))
        case "TriageFeedback": payload = .triageFeedback(try c.decode(TriageFeedback.self, forKey: .payload))
        case "ApprovalExpired": payload = .approvalExpired(try c.decode(ApprovalExpired.self, forKey: .payload))
        case "TriageProposed": payload = .triageProposed(try c.decode(TriageProposed.self, forKey: .payload))
        default: payload = .unknown(type: type, payload: try c.decode(JSONValue.self, forKey: .payload))
        }
        do { try validate() } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: error.description))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(eventID, forKey: .eventID)
        try c.encode(incidentID, forKey: .incidentID)
        try c.encode(type, forKey: .type)
        try c.encode(schemaVersion, forKey: .schemaVersion)
        try c.encode(RFC3339.format(occurredAt), forKey: .occurredAt)
        try c.encode(producer, forKey: .producer)
        try c.encode(causationID, forKey: .causationID)
        try c.encode(trace, forKey: .trace)
        try c.encode(payload.value, forKey: .payload)
    }
}
