import Corpus
import Foundation
import Retrieval

/// The naive baselines a retrieval change must beat, on the same index:
/// e5 over each document's first 2,000 characters (one vector per document),
/// and BM25 (k1 1.2, b 0.75) over whole documents.
struct EvalBaselines {
    struct Doc {
        var id: String
        var kind: String
        var vector: [Float]
        var terms: [String: Int]
        var length: Int
    }
    let docs: [Doc]
    let documentFrequency: [String: Int]
    let averageLength: Double

    init(documents: [IndexStore.IndexedDocument], embeddings: EmbeddingsClient) async throws {
        let heads = documents.map { String($0.text.prefix(2_000)) }
        var vectors: [[Float]] = []
        for start in stride(from: 0, to: heads.count, by: 32) {
            vectors += try await embeddings.embed(Array(heads[start..<min(start + 32, heads.count)]), as: .passage)
        }
        var df: [String: Int] = [:]
        var docs: [Doc] = []
        for (d, v) in zip(documents, vectors) {
            let tokens = Self.tokens(d.text)
            var tf: [String: Int] = [:]
            for t in tokens { tf[t, default: 0] += 1 }
            for t in tf.keys { df[t, default: 0] += 1 }
            docs.append(Doc(id: d.id, kind: d.kind, vector: v, terms: tf, length: tokens.count))
        }
        self.docs = docs
        documentFrequency = df
        averageLength = Double(docs.reduce(0) { $0 + $1.length }) / Double(max(1, docs.count))
    }

    static func tokens(_ text: String) -> [String] {
        text.lowercased().split { !($0.isLetter || $0.isNumber) }.map(String.init).filter { $0.count > 1 }
    }

    func vector(_ q: [Float], kinds: [DocumentKind]) -> [String] {
        let allowed = Set(kinds.map(\.rawValue))
        return docs.filter { allowed.contains($0.kind) }
            .map { d in (d.id, zip(q, d.vector).reduce(Float(0)) { $0 + $1.0 * $1.1 }) }
            .sorted { $0.1 > $1.1 }.prefix(10).map(\.0)
    }

    /// The query's cosine with the named documents' vectors.
    func similarities(_ q: [Float], of ids: Set<String>) -> [String: Double] {
        Dictionary(uniqueKeysWithValues: docs.filter { ids.contains($0.id) }
            .map { d in (d.id, Double(zip(q, d.vector).reduce(Float(0)) { $0 + $1.0 * $1.1 })) })
    }

    func bm25(_ text: String, kinds: [DocumentKind]) -> [String] {
        let allowed = Set(kinds.map(\.rawValue))
        let query = Set(Self.tokens(text))
        return docs.filter { allowed.contains($0.kind) }.map { ($0.id, bm25(query, $0)) }
            .filter { $0.1 > 0 }.sorted { $0.1 > $1.1 }.prefix(10).map(\.0)
    }

    /// The BM25 baseline's score of the named documents: to study it as a signal.
    func bm25Scores(_ text: String, of ids: Set<String>) -> [String: Double] {
        let query = Set(Self.tokens(text))
        return Dictionary(uniqueKeysWithValues: docs.filter { ids.contains($0.id) }.map { ($0.id, bm25(query, $0)) })
    }

    private func bm25(_ query: Set<String>, _ d: Doc) -> Double {
        let n = Double(docs.count)
        var score = 0.0
        for t in query {
            guard let f = d.terms[t] else { continue }
            let df = Double(documentFrequency[t] ?? 0)
            let idf = log(1 + (n - df + 0.5) / (df + 0.5))
            let tf = Double(f)
            score += idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * Double(d.length) / averageLength))
        }
        return score
    }
}
