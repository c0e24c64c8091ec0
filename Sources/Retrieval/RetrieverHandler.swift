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
public struct RetrieverHandler: MessageHandler {
    public static let producer = "retriever"
    let search: HybridSearch
    let topics: TopicSet
    let logger: Logger
    public var postmortems = 5
    public var runbooks = 3
    /// Alert names already searched per incident (bounded; a restart at worst
    /// searches again and produces the same event id).
    private let searched = Searched()
    let latency = Timer(label: "aiops_retrieval_seconds", preferredDisplayUnit: .seconds)
    let empty = Counter(label: "aiops_retrieval_empty_total")

    final class Searched: Sendable {
        let names = Mutex<[String: Set<String>]>([:])
        func insert(_ incident: String, _ name: String) -> Bool {
            names.withLock { m in
                if m.count > 50_000 { m.removeAll() }
                return m[incident, default: []].insert(name).inserted
            }
        }
    }

    public init(search: HybridSearch, topics: TopicSet, logger: Logger) {
        self.search = search
        self.topics = topics
        self.logger = logger
    }

    public func handle(_ message: KafkaConsumerMessage) async throws -> [KafkaOutgoingMessage] {
        let event: IncidentEvent
        do { event = try IncidentEventCodec.decode(message) } catch {
            throw PermanentHandlerError("not an incident event: \(error)")
        }
        guard let result = try await retrieve(for: event) else { return [] }
        return [try IncidentEventCodec.encode(result, topics: topics)]
    }

    /// The RetrievalCompleted event this event calls for, if any.
    public func retrieve(for event: IncidentEvent) async throws -> IncidentEvent? {
        let query: SearchQuery
        let step: String
        switch event.payload {
        case .incidentOpened(let o):
            query = IncidentQuery.from(opened: o)
            _ = searched.insert(event.incidentID, o.labels["alertname"] ?? "")
            step = "retrieve"
        case .alertAttached(let a):
            guard searched.insert(event.incidentID, a.alertname) else { return nil }
            // The opening alert is searched with IncidentOpened; only new names search again.
            guard !a.alertname.isEmpty else { return nil }
            query = IncidentQuery.from(labels: a.labels, annotations: a.annotations, title: nil, service: a.labels["service"])
            step = "retrieve:\(a.alertname)"
        default:
            return nil
        }
        let start = ContinuousClock.now
        let payload: RetrievalCompleted
        do {
            payload = try await run(query)
        } catch let error as PostgresError where error.code == .connection {
            throw TransientHandlerError(error)
        } catch let error as EmbeddingsError where error.kind == .unavailable {
            throw TransientHandlerError(error)
        }
        latency.recordDuration(since: start)
        if !payload.found { empty.increment() }
        return .derived(incidentID: event.incidentID, producer: Self.producer, causationID: event.eventID, step: step,
                        trace: event.trace.child(), payload: .retrievalCompleted(payload))
    }

    public func run(_ query: SearchQuery) async throws -> RetrievalCompleted {
        let model = search.embeddings.configuration.model
        guard try await !search.store.isEmpty() else {
            return RetrievalCompleted(query: query.text, found: false, reason: "the corpus index is empty",
                                      model: model, postmortems: [], runbooks: [])
        }
        let vector = try await search.embeddings.embed([query.text], as: .query)[0]
        var pmQuery = query
        pmQuery.kinds = [.postmortem]
        pmQuery.limit = postmortems
        var rbQuery = query
        rbQuery.kinds = [.runbook]
        rbQuery.limit = runbooks
        async let pm = search.search(pmQuery, queryVector: vector)
        async let rb = search.search(rbQuery, queryVector: vector)
        let (p, r) = try await (pm, rb)
        let found = !(p.isEmpty && r.isEmpty)
        // Counting is only worth it for the explanation of an empty answer.
        let searched = found ? 0 : try await search.store.counts().chunks
        let returned = Set(r.map(\.chunkID))
        let sections = try await search.store.sections(documentIDs: r.map(\.documentID)).filter { !returned.contains($0.chunkID) }
        return RetrievalCompleted(
            query: query.text, found: found,
            reason: found ? nil : "no postmortem or runbook above similarity \(search.tuning.minSimilarity) (\(searched) chunks searched)",
            model: model, postmortems: p, runbooks: r, runbookSections: sections)
    }
}
