import Foundation
import Synchronization

/// What BM25 needs beyond a document's own term frequencies: in how many
/// documents each lexeme occurs, and the average lengths (in distinct lexemes)
/// of documents and chunks; and the words every document other than a past
/// incident is named with. Read from PostgreSQL (`ts_stat`), kept for a minute, then refreshed in the background (`Cache`).
public struct LexemeStatistics: Sendable {
    /// The documents' stemmed words (`documents.tsv`), for BM25 and coverage.
    public let stemmed: Vocabulary
    public var documents: Int { stemmed.documents }
    public var documentFrequency: [String: Int] { stemmed.documentFrequency }
    public var averageDocumentLength: Double { stemmed.averageLength }
    public var averageChunkLength: Double
    /// Document id → `DocumentName.nameWords` of its path, for names of two words or more.
    public let nameWords: [String: [String]]
    /// The words as written (`documents.tsv_exact`: no stemming, no stop list), for a past incident's exact-word BM25.
    public var exact: Vocabulary
    /// Document frequencies and the average length (in distinct words) of one reading of the documents' words.
    public struct Vocabulary: Sendable {
        public var documents: Int
        public var documentFrequency: [String: Int]
        public var averageLength: Double
        public init(documents: Int = 0, documentFrequency: [String: Int] = [:], averageLength: Double = 1) {
            self.documents = documents; self.documentFrequency = documentFrequency; self.averageLength = averageLength
        }
        func idf(_ word: String) -> Double {
            let n = Double(max(1, documents))
            let df = Double(documentFrequency[word] ?? 0)
            return log(1 + (n - df + 0.5) / (df + 0.5))
        }
    }
    /// The ids of the documents by the rarest word of their name: a name every word of which the alert uses holds
    /// its rarest one, so `named(by:)` looks at the query's words' buckets, not at every name in the index.
    let namesByRarestWord: [String: [String]]

    public init(documents: Int, documentFrequency: [String: Int], averageDocumentLength: Double, averageChunkLength: Double,
                nameWords: [String: [String]] = [:], exact: Vocabulary = .init()) {
        self.stemmed = Vocabulary(documents: documents, documentFrequency: documentFrequency, averageLength: averageDocumentLength)
        self.exact = exact; self.averageChunkLength = averageChunkLength
        self.nameWords = nameWords
        var names: [String: Int] = [:]
        for words in nameWords.values { for w in Set(words) { names[w, default: 0] += 1 } }
        var buckets: [String: [String]] = [:]
        for (id, words) in nameWords {
            guard let rarest = words.min(by: { (names[$0] ?? 0, $0) < (names[$1] ?? 0, $1) }) else { continue }
            buckets[rarest, default: []].append(id)
        }
        namesByRarestWord = buckets
    }

    /// The documents whose every name word the alert uses (`gitlab-com-is-down` for `StagingGitlabComDown`,
    /// `KubePodCrashLooping` for `PaymentsKubePodCrashLooping`): the alert spells out what they are called, in
    /// another order or among other words, which the exact-name probe cannot see. The most specific names first.
    public func named(by queryWords: Set<String>, limit: Int = 8) -> [String] {
        var found: [(id: String, words: Int)] = []
        for word in queryWords {
            for id in namesByRarestWord[word] ?? [] {
                if let words = nameWords[id], words.allSatisfy(queryWords.contains) { found.append((id, words.count)) }
            }
        }
        found.sort { $0.words != $1.words ? $0.words > $1.words : $0.id < $1.id }
        return found.prefix(limit).map(\.id)
    }

    func idf(_ lexeme: String) -> Double { stemmed.idf(lexeme) }

    /// BM25 (k1 1.2, b 0.75) of a text with term frequencies `tf` and length `length` for `query` lexemes, with the
    /// document frequencies of `vocabulary` (the stemmed words unless told).
    func bm25(_ tf: [String: Int], length: Double, average: Double, _ query: [String], vocabulary: Vocabulary? = nil) -> Double {
        let k1 = 1.2, b = 0.75
        let vocabulary = vocabulary ?? stemmed
        var score = 0.0
        for t in query {
            guard let f = tf[t], f > 0 else { continue }
            let x = Double(f)
            score += vocabulary.idf(t) * x * (k1 + 1) / (x + k1 * (1 - b + b * length / max(1, average)))
        }
        return score
    }

    /// Share of the query's distinctive lexemes (in under a fifth of the documents, or in one document of a
    /// handbook too small for fifths) found in `tf`, weighted by idf.
    func coverage(_ tf: [String: Int], _ query: [String]) -> Double {
        let limit = max(1.5, 0.2 * Double(max(1, documents)))
        let distinctive = query.filter { Double(documentFrequency[$0] ?? 0) < limit }
        let total = distinctive.reduce(0) { $0 + idf($1) }
        guard total > 0 else { return 0 }
        return distinctive.filter { (tf[$0] ?? 0) > 0 }.reduce(0) { $0 + idf($1) } / total
    }

    /// The statistics last read, refreshed in the background: `ts_stat` reads every document's words (twice: stemmed and
    /// as written), about 50 ms at 3,500 chunks and growing with the handbook, and no retrieval should wait for that
    /// once a minute. Up to `stale` old they are served as they are while one refresh runs; older (a retriever idle
    /// for a while) or of an empty index (one that was being filled), a retrieval reads them afresh.
    final class Cache: Sendable {
        enum Lookup { case fresh(LexemeStatistics), stale(LexemeStatistics), missing }
        private let state = Mutex<(value: (LexemeStatistics, ContinuousClock.Instant)?, refreshing: Bool)>((nil, false))
        let maxAge: Duration
        let stale: Duration
        init(maxAge: Duration = .seconds(60), stale: Duration = .seconds(600)) { self.maxAge = maxAge; self.stale = stale }

        func lookup() -> Lookup {
            state.withLock { s in
                guard let (stats, at) = s.value else { return .missing }
                let age = ContinuousClock.now - at
                if age < maxAge { return .fresh(stats) }
                return age < stale && stats.documents > 0 ? .stale(stats) : .missing
            }
        }
        /// Whether the caller is the one to refresh (no other refresh is running); it calls `store` or `refreshFailed`.
        func claimRefresh() -> Bool {
            state.withLock { s in
                if s.refreshing { return false }
                s.refreshing = true
                return true
            }
        }
        func store(_ stats: LexemeStatistics) { state.withLock { $0 = ((stats, ContinuousClock.now), false) } }
        func refreshFailed() { state.withLock { $0.refreshing = false } }
    }
}
