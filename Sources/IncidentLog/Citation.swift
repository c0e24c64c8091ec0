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

    /// The document a chunk id (`<document id>#<n>`) belongs to; a document id stays as it is.
    public static func documentID(ofChunk chunkID: String) -> String {
        String(chunkID.split(separator: "#").first ?? Substring(chunkID))
    }

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
