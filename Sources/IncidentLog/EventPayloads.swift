/// Payloads of the incident event log, one struct per event type. Field names
/// on the wire are snake_case and match `topics/schemas/<Type>.json`.

public struct IncidentOpened: Sendable, Hashable, Codable {
    public enum Source: String, Sendable, Codable { case alertmanager, incidentreport }
    public var source: Source
    /// Alertmanager group key, or `incidentreport:<namespace>/<name>`.
    public var groupKey: String
    public var title: String
    public var severity: String
    public var service: String?
    public var receiver: String?
    public var externalURL: String?
    public var labels: [String: String]
    public var annotations: [String: String]

    public init(source: Source, groupKey: String, title: String, severity: String, service: String?,
                receiver: String?, externalURL: String?, labels: [String: String], annotations: [String: String]) {
        self.source = source; self.groupKey = groupKey; self.title = title; self.severity = severity
        self.service = service; self.receiver = receiver; self.externalURL = externalURL
        self.labels = labels; self.annotations = annotations
    }

    enum CodingKeys: String, CodingKey {
        case source, title, severity, service, receiver, labels, annotations
        case groupKey = "group_key", externalURL = "external_url"
    }
}

public struct AlertAttached: Sendable, Hashable, Codable {
    public var alertID: String
    public var fingerprint: String
    public var alertname: String
    public var startsAt: String
    public var generatorURL: String?
    public var labels: [String: String]
    public var annotations: [String: String]

    public init(alertID: String, fingerprint: String, alertname: String, startsAt: String, generatorURL: String?,
                labels: [String: String], annotations: [String: String]) {
        self.alertID = alertID; self.fingerprint = fingerprint; self.alertname = alertname
        self.startsAt = startsAt; self.generatorURL = generatorURL; self.labels = labels
        self.annotations = annotations
    }

    enum CodingKeys: String, CodingKey {
        case fingerprint, alertname, labels, annotations
        case alertID = "alert_id", startsAt = "starts_at", generatorURL = "generator_url"
    }
}

public struct AlertResolved: Sendable, Hashable, Codable {
    public var alertID: String
    public var fingerprint: String
    public var alertname: String
    public var startsAt: String
    public var endsAt: String

    public init(alertID: String, fingerprint: String, alertname: String, startsAt: String, endsAt: String) {
        self.alertID = alertID; self.fingerprint = fingerprint; self.alertname = alertname
        self.startsAt = startsAt; self.endsAt = endsAt
    }

    enum CodingKeys: String, CodingKey {
        case fingerprint, alertname
        case alertID = "alert_id", startsAt = "starts_at", endsAt = "ends_at"
    }
}

public struct IncidentResolved: Sendable, Hashable, Codable {
    public var reason: String
    public init(reason: String) { self.reason = reason }
}

/// One retrieved piece of evidence: a document section this incident's
/// retrieval returned. Later steps may only cite these.
public struct Citation: Sendable, Hashable, Codable {
    public var documentID: String
    public var title: String
    public var path: String
    public var kind: String
    public var chunkID: String
    public var headingPath: String
    public var lineStart: Int
    public var lineEnd: Int
    /// Fused score (Reciprocal Rank Fusion plus boosts).
    public var score: Double
    public var vectorRank: Int?
    public var textRank: Int?
    /// Cosine similarity of the chunk to the query.
    public var similarity: Double?
    public var boosts: [String]
    /// The section's text as retrieval saw it (at most `maxText` characters): the reasoner reads this, and a
    /// replay shows exactly what was seen, without the index.
    public var text: String?

    public static let maxText = 4_000

    public init(documentID: String, title: String, path: String, kind: String, chunkID: String, headingPath: String,
                lineStart: Int, lineEnd: Int, score: Double, vectorRank: Int?, textRank: Int?, similarity: Double?,
                boosts: [String], text: String? = nil) {
        self.documentID = documentID; self.title = title; self.path = path; self.kind = kind; self.chunkID = chunkID
        self.headingPath = headingPath; self.lineStart = lineStart; self.lineEnd = lineEnd; self.score = score
        self.vectorRank = vectorRank; self.textRank = textRank; self.similarity = similarity; self.boosts = boosts
        self.text = text.map { String($0.prefix(Self.maxText)) }
    }

    enum CodingKeys: String, CodingKey {
        case title, path, kind, score, similarity, boosts, text
        case documentID = "document_id", chunkID = "chunk_id", headingPath = "heading_path"
        case lineStart = "line_start", lineEnd = "line_end", vectorRank = "vector_rank", textRank = "text_rank"
    }
}

public struct RetrievalCompleted: Sendable, Hashable, Codable {
    /// The query text built from the alert (untrusted text, used only as query).
    public var query: String
    public var found: Bool
    /// Why nothing was found (empty corpus, nothing above the floor).
    public var reason: String?
    /// Embedding model of the query.
    public var model: String
    public var postmortems: [Citation]
    public var runbooks: [Citation]
    /// Every section of the returned runbooks (their diagnosis and mitigation
    /// steps), so later steps can cite the exact section they follow.
    public var runbookSections: [Citation]

    public init(query: String, found: Bool, reason: String?, model: String, postmortems: [Citation], runbooks: [Citation],
                runbookSections: [Citation] = []) {
        self.query = query; self.found = found; self.reason = reason; self.model = model
        self.postmortems = postmortems; self.runbooks = runbooks; self.runbookSections = runbookSections
    }

    enum CodingKeys: String, CodingKey {
        case query, found, reason, model, postmortems, runbooks
        case runbookSections = "runbook_sections"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        query = try c.decode(String.self, forKey: .query)
        found = try c.decode(Bool.self, forKey: .found)
        reason = try c.decodeIfPresent(String.self, forKey: .reason)
        model = try c.decode(String.self, forKey: .model)
        postmortems = try c.decode([Citation].self, forKey: .postmortems)
        runbooks = try c.decode([Citation].self, forKey: .runbooks)
        runbookSections = try c.decodeIfPresent([Citation].self, forKey: .runbookSections) ?? []
    }

    /// Everything this retrieval returned: the only things later steps may cite.
    public var citations: [Citation] { postmortems + runbooks + runbookSections }
}

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
        case .unknown(_, let p): p
        }
    }

    /// Current schema version of each known type.
    public var schemaVersion: Int { 1 }
}
