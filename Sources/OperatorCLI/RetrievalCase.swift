/// A labelled retrieval case: an alert and the documents that answer it (none: nothing should be found).
public struct RetrievalCase: Decodable, Sendable {
    public struct Alert: Decodable, Sendable { public var labels: [String: String]; public var annotations: [String: String]? }
    public var name: String
    /// How it is worded: `direct`/`unlike` (example suite), `rule`/`inhouse` (alert rules as written, or as a
    /// team would rename them), `onset`/`symptom` (past incidents), `uncovered` (nothing should be found).
    public var wording: String
    /// Which list is scored: `runbooks`, `postmortems`, or either (nil).
    public var set: String?
    public var alert: Alert
    public var generatorURL: String?
    public var expect: [String]

    enum CodingKeys: String, CodingKey { case name, wording, set, alert, expect; case generatorURL = "generator_url" }
}
