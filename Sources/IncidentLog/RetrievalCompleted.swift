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
    /// Every section of the returned postmortems (cause, timeline, remediation): what a hypothesis is
    /// tested against.
    public var postmortemSections: [Citation] = []
    /// The alert name this retrieval answers (each distinct alert name of an incident gets its own);
    /// nil for an incident declared by an IncidentReport.
    public var alertname: String?

    public init(query: String, found: Bool, reason: String?, model: String, postmortems: [Citation], runbooks: [Citation],
                runbookSections: [Citation] = []) {
        self.query = query; self.found = found; self.reason = reason; self.model = model
        self.postmortems = postmortems; self.runbooks = runbooks; self.runbookSections = runbookSections
    }

    enum CodingKeys: String, CodingKey {
        case query, found, reason, model, postmortems, runbooks
        case runbookSections = "runbook_sections", postmortemSections = "postmortem_sections", alertname
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
        postmortemSections = try c.decodeIfPresent([Citation].self, forKey: .postmortemSections) ?? []
        alertname = try c.decodeIfPresent(String.self, forKey: .alertname)
    }

    /// Everything this retrieval returned: the only things later steps may cite.
    public var citations: [Citation] { postmortems + runbooks + runbookSections + postmortemSections }

    /// The runbook the alert links to itself (its `runbook_url`), when the handbook holds it.
    public var linkedRunbook: Citation? { runbooks.first { $0.boosts.contains("linked") } }
}
