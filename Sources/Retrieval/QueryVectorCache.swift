import Metrics
import Synchronization

/// A query text's vectors: the first encoder's, and the second's when one is configured.
struct QueryVectors: Sendable, Hashable {
    var first: [Float]
    var second: [Float]?
}

/// Recently embedded query texts (least recently used out first).
final class QueryVectorCache: Sendable {
    private struct State {
        var vectors: [String: QueryVectors] = [:]
        var order: [String] = []
    }
    let capacity: Int
    private let state = Mutex(State())
    let hits = Counter(label: "aiops_retrieval_query_cache_total", dimensions: [("result", "hit")])
    let misses = Counter(label: "aiops_retrieval_query_cache_total", dimensions: [("result", "miss")])

    init(capacity: Int) { self.capacity = capacity }

    func get(_ text: String) -> QueryVectors? {
        let v = state.withLock { s -> QueryVectors? in
            guard let v = s.vectors[text] else { return nil }
            if let i = s.order.lastIndex(of: text) { s.order.remove(at: i) }
            s.order.append(text)
            return v
        }
        if v == nil { misses.increment() } else { hits.increment() }
        return v
    }

    func put(_ text: String, _ vector: QueryVectors) {
        guard capacity > 0 else { return }
        state.withLock { s in
            if s.vectors.updateValue(vector, forKey: text) == nil { s.order.append(text) }
            while s.order.count > capacity { s.vectors[s.order.removeFirst()] = nil }
        }
    }
}
