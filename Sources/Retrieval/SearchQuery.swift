import Corpus
import Foundation
import IncidentLog
import Logging
import Postgres

/// What to search for. `text` is untrusted alert text: it is only ever query text.
public struct SearchQuery: Sendable {
    public var text: String
    public var alertName: String?
    public var services: [String]
    public var kinds: [DocumentKind]?
    public var limit: Int
    /// Candidates from each retriever (vector, full text) before fusion; the tuning's when nil.
    public var candidates: Int?

    public init(text: String, alertName: String? = nil, services: [String] = [], kinds: [DocumentKind]? = nil,
                limit: Int = 20, candidates: Int? = nil) {
        self.text = text; self.alertName = alertName; self.services = services; self.kinds = kinds; self.limit = limit
        self.candidates = candidates
    }
}
