/// A labelled retrieval case: an alert and the documents that answer it.
public struct RetrievalCase: Decodable, Sendable {
    public struct Alert: Decodable, Sendable { public var labels: [String: String]; public var annotations: [String: String]? }
    public var name: String
    public var wording: String
    public var alert: Alert
    public var expect: [String]
}
