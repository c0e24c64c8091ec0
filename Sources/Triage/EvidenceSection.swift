import IncidentLog

/// A cited section the planner can read.
public struct EvidenceSection: Sendable, Hashable {
    public var chunkID: String
    public var documentID: String
    public var kind: String
    public var headingPath: String
    public var content: String
    public init(chunkID: String, documentID: String, kind: String, headingPath: String, content: String) {
        self.chunkID = chunkID; self.documentID = documentID; self.kind = kind; self.headingPath = headingPath
        self.content = content
    }
}

extension EvidenceSection {
    /// The sections a retrieval returned, with the text it recorded, each once, in retrieval order.
    public static func from(_ retrieval: RetrievalCompleted) -> [EvidenceSection] {
        var seen: Set<String> = []
        return retrieval.citations.compactMap { c in
            guard seen.insert(c.chunkID).inserted else { return nil }
            return EvidenceSection(chunkID: c.chunkID, documentID: c.documentID, kind: c.kind, headingPath: c.headingPath,
                                   content: c.text ?? "")
        }
    }
}
