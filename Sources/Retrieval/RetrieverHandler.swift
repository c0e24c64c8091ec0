import Corpus
import DaemonRuntime
import Foundation
import IncidentLog
import Kafka
import Logging
import Metrics
import Postgres
import Synchronization

/// The retriever's handler: `IncidentOpened` (and an `AlertAttached` of an
/// alert name the incident has not searched for yet) → `RetrievalCompleted`
/// with the top postmortems and runbooks, each cited down to the section.
///
/// Under load records arrive in batches: the batch's query texts are embedded
/// in one request (texts seen recently come from a small cache: an alert storm
/// repeats the same text), then each incident's searches run side by side.
public struct RetrieverHandler: BatchMessageHandler {
    public static let producer = "retriever"
    let search: HybridSearch
    let topics: TopicSet
    let logger: Logger
    public var postmortems = 5
    public var runbooks = 5
    /// Alert names already searched per incident (bounded; a restart at worst
    /// searches again and produces the same event id).
    private let searched = Searched()
    let latency = Timer(label: "aiops_retrieval_seconds", preferredDisplayUnit: .seconds)
    let empty = Counter(label: "aiops_retrieval_empty_total")
    let vectors: QueryVectorCache
    public var maxBatchSize: Int { 32 }

    final class Searched: Sendable {
        let names = Mutex<[String: Set<String>]>([:])
        func contains(_ incident: String, _ name: String) -> Bool {
            names.withLock { $0[incident]?.contains(name) == true }
        }
        func insert(_ incident: String, _ name: String) -> Bool {
            names.withLock { m in
                if m.count > 50_000 { m.removeAll() }
                return m[incident, default: []].insert(name).inserted
            }
        }
    }

    public init(search: HybridSearch, topics: TopicSet, cacheSize: Int = 1_024, logger: Logger) {
        self.search = search
        self.topics = topics
        self.logger = logger
        vectors = QueryVectorCache(capacity: cacheSize)
    }

    public func handle(_ message: KafkaConsumerMessage) async throws -> [KafkaOutgoingMessage] {
        try await handle(batch: [message])
    }

    public func handle(batch: [KafkaConsumerMessage]) async throws -> [KafkaOutgoingMessage] {
        let events = try batch.map { m in
            do { return try IncidentEventCodec.decode(m) } catch {
                throw PermanentHandlerError("not an incident event: \(error)")
            }
        }
        return try await retrieve(for: events).map { try IncidentEventCodec.encode($0, topics: topics) }
    }

    /// What to search for an event, if it calls for a search, and the alert name it covers.
    func trigger(_ event: IncidentEvent) -> (query: SearchQuery, step: String, name: String)? {
        switch event.payload {
        case .incidentOpened(let o):
            return (IncidentQuery.from(opened: o), "retrieve", o.labels["alertname"] ?? "")
        case .alertAttached(let a):
            // The opening alert is searched with IncidentOpened; only new names search again.
            guard !a.alertname.isEmpty, !searched.contains(event.incidentID, a.alertname) else { return nil }
            return (IncidentQuery.from(labels: a.labels, annotations: a.annotations, title: nil, service: a.labels["service"]),
                    "retrieve:\(a.alertname)", a.alertname)
        default:
            return nil
        }
    }

    /// The RetrievalCompleted event this event calls for, if any.
    public func retrieve(for event: IncidentEvent) async throws -> IncidentEvent? {
        try await retrieve(for: [event]).first
    }

    /// The RetrievalCompleted events these events call for, in their order:
    /// one embeddings request for the batch, the searches side by side.
    public func retrieve(for events: [IncidentEvent]) async throws -> [IncidentEvent] {
        var triggers: [(IncidentEvent, SearchQuery, String)] = []
        var names: [(String, String)] = []
        for e in events {
            guard let t = trigger(e) else { continue }
            // An incident's alert name is searched once, also within a batch.
            if case .alertAttached = e.payload, names.contains(where: { $0 == (e.incidentID, t.name) }) { continue }
            names.append((e.incidentID, t.name))
            triggers.append((e, t.query, t.step))
        }
        guard !triggers.isEmpty else { return [] }
        let start = ContinuousClock.now
        do {
            let vectors = try await queryVectors(triggers.map(\.1.text))
            let payloads = try await withThrowingTaskGroup(of: (Int, RetrievalCompleted).self) { group in
                for (i, t) in triggers.enumerated() {
                    group.addTask { (i, try await run(t.1, vector: vectors[t.1.text]!)) }
                }
                var out = [RetrievalCompleted?](repeating: nil, count: triggers.count)
                for try await (i, p) in group { out[i] = p }
                return out.map { $0! }
            }
            latency.recordDuration(since: start)
            // Remembered only once answered: a failed batch searches again when retried.
            for (incident, name) in names { _ = searched.insert(incident, name) }
            return zip(triggers, payloads).map { t, payload in
                if !payload.found { empty.increment() }
                return .derived(incidentID: t.0.incidentID, producer: Self.producer, causationID: t.0.eventID, step: t.2,
                                trace: t.0.trace.child(), payload: .retrievalCompleted(payload))
            }
        } catch let error as PostgresError where error.code == .connection {
            throw TransientHandlerError(error)
        } catch let error as EmbeddingsError where error.kind == .unavailable {
            throw TransientHandlerError(error)
        }
    }

    /// Query vectors for `texts`: cached ones reused, the others embedded in one request.
    func queryVectors(_ texts: [String]) async throws -> [String: [Float]] {
        var out: [String: [Float]] = [:]
        var missing: [String] = []
        for t in Set(texts) {
            if let v = vectors.get(t) { out[t] = v } else { missing.append(t) }
        }
        if !missing.isEmpty {
            let embedded = try await search.embeddings.embed(missing, as: .query)
            for (t, v) in zip(missing, embedded) {
                vectors.put(t, v)
                out[t] = v
            }
        }
        return out
    }

    public func run(_ query: SearchQuery) async throws -> RetrievalCompleted {
        try await run(query, vector: try await queryVectors([query.text])[query.text]!)
    }

    func run(_ query: SearchQuery, vector: [Float]) async throws -> RetrievalCompleted {
        let model = search.embeddings.configuration.model
        // One search over every kind (the vector side then walks the HNSW graph unfiltered) with twice the
        // candidates, split by kind afterwards: half the round trips of a search per kind.
        var all = query
        all.kinds = nil
        all.limit = 200
        all.candidates = search.tuning.candidates * 2
        let hits = try await search.search(all, queryVector: vector)
        let p = Array(hits.filter { $0.kind == DocumentKind.postmortem.rawValue }.prefix(postmortems))
        let r = Array(hits.filter { $0.kind == DocumentKind.runbook.rawValue }.prefix(runbooks))
        let found = !(p.isEmpty && r.isEmpty)
        // Counting is only worth it for the explanation of an empty answer.
        let searched = found ? 0 : try await search.store.counts().chunks
        if !found && searched == 0 {
            return RetrievalCompleted(query: query.text, found: false, reason: "the corpus index is empty",
                                      model: model, postmortems: [], runbooks: [])
        }
        let returned = Set(r.map(\.chunkID))
        // The evidence travels with the event: the reasoner reads it from the log, replays show what was seen.
        let evidence = try await search.store.evidence(chunkIDs: (p + r).map(\.chunkID), documentIDs: r.map(\.documentID))
        func withText(_ c: Citation) -> Citation { var c = c; c.text = evidence.texts[c.chunkID]; return c }
        return RetrievalCompleted(
            query: query.text, found: found,
            reason: found ? nil : "no postmortem or runbook above similarity \(search.tuning.minSimilarity) (\(searched) chunks searched)",
            model: model, postmortems: p.map(withText), runbooks: r.map(withText),
            runbookSections: evidence.sections.filter { !returned.contains($0.chunkID) })
    }
}

/// Recently embedded query texts (least recently used out first).
final class QueryVectorCache: Sendable {
    private struct State {
        var vectors: [String: [Float]] = [:]
        var order: [String] = []
    }
    let capacity: Int
    private let state = Mutex(State())
    let hits = Counter(label: "aiops_retrieval_query_cache_total", dimensions: [("result", "hit")])
    let misses = Counter(label: "aiops_retrieval_query_cache_total", dimensions: [("result", "miss")])

    init(capacity: Int) { self.capacity = capacity }

    func get(_ text: String) -> [Float]? {
        let v = state.withLock { s -> [Float]? in
            guard let v = s.vectors[text] else { return nil }
            if let i = s.order.lastIndex(of: text) { s.order.remove(at: i) }
            s.order.append(text)
            return v
        }
        if v == nil { misses.increment() } else { hits.increment() }
        return v
    }

    func put(_ text: String, _ vector: [Float]) {
        guard capacity > 0 else { return }
        state.withLock { s in
            if s.vectors.updateValue(vector, forKey: text) == nil { s.order.append(text) }
            while s.order.count > capacity { s.vectors[s.order.removeFirst()] = nil }
        }
    }
}
