import Corpus
import DaemonRuntime
import Foundation
import IncidentLog
import Kafka
import Logging
import Metrics
import Postgres
import Synchronization
import Tracing

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
    let secondUnavailable = Counter(label: "aiops_second_encoder_unavailable_total", dimensions: [("daemon", "retriever")])
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

    /// A search that could not be done is answered anyway — found nothing, and why — so the reasoner
    /// escalates with what it knows instead of waiting for evidence that never comes.
    public func deadLettered(_ message: KafkaConsumerMessage, error: String) -> [KafkaOutgoingMessage] {
        guard let event = try? IncidentEventCodec.decode(message), let t = trigger(event) else { return [] }
        var payload = RetrievalCompleted(query: t.query.text, found: false,
                                         reason: "retrieval failed: \(String(error.prefix(500)))",
                                         model: search.embeddings.configuration.model, postmortems: [], runbooks: [])
        payload.alertname = t.name
        if let name = t.name { _ = searched.insert(event.incidentID, name) }
        return (try? [IncidentEventCodec.encode(answer(event, name: t.name, payload), topics: topics)]) ?? []
    }

    /// What to search for an event, if it calls for a search, and the alert name it covers: every distinct
    /// alert name of an incident gets its own retrieval (from that alert's labels, annotations and
    /// expression); an IncidentReport, which has no alert, is searched from the report.
    func trigger(_ event: IncidentEvent) -> (query: SearchQuery, name: String?)? {
        switch event.payload {
        case .incidentOpened(let o) where o.source == .incidentreport:
            // The placeholder name a report gets when it names no alert is not query text: its words ("incident",
            // "report") would count among the report's own and dilute them (the demo's slow-checkout report got
            // "nothing similar" for runbooks with them).
            var labels = o.labels
            if labels["alertname"] == IncidentOpened.reportAlertName { labels["alertname"] = nil }
            return (IncidentQuery.from(labels: labels, annotations: o.annotations, title: o.title, service: o.service), nil)
        case .incidentOpened(let o):
            // The opening alert, when the group's labels name it; otherwise each alert is searched when attached.
            guard let name = o.labels["alertname"], !name.isEmpty, !searched.contains(event.incidentID, name) else { return nil }
            return (IncidentQuery.from(labels: o.labels, annotations: o.annotations, title: nil, service: o.service,
                                       generatorURL: o.generatorURL), name)
        case .alertAttached(let a):
            guard !a.alertname.isEmpty, !searched.contains(event.incidentID, a.alertname) else { return nil }
            return (IncidentQuery.from(labels: a.labels, annotations: a.annotations, title: nil, service: a.labels["service"],
                                       generatorURL: a.generatorURL), a.alertname)
        default:
            return nil
        }
    }

    /// The retrieval's event id is derived from the incident and the alert name (not from whichever alert of
    /// that name came first), so a search repeated after a restart is the same event and is dropped.
    func answer(_ trigger: IncidentEvent, name: String?, _ payload: RetrievalCompleted, span: TraceContext? = nil) -> IncidentEvent {
        let step = name.map { "retrieve:\($0)" } ?? "retrieve"
        return IncidentEvent(eventID: EventIDs.event(causation: trigger.incidentID, producer: Self.producer, step: step),
                             incidentID: trigger.incidentID, occurredAt: Date(), producer: Self.producer,
                             causationID: trigger.eventID, trace: span ?? trigger.trace.child(), payload: .retrievalCompleted(payload))
    }

    /// The RetrievalCompleted event this event calls for, if any.
    public func retrieve(for event: IncidentEvent) async throws -> IncidentEvent? {
        try await retrieve(for: [event]).first
    }

    /// The RetrievalCompleted events these events call for, in their order:
    /// one embeddings request for the batch, the searches side by side.
    public func retrieve(for events: [IncidentEvent]) async throws -> [IncidentEvent] {
        var triggers: [(IncidentEvent, SearchQuery, String?)] = []
        var names: [(String, String)] = []
        for e in events {
            guard let t = trigger(e) else { continue }
            // An incident's alert name is searched once, also within a batch.
            if let name = t.name {
                if names.contains(where: { $0 == (e.incidentID, name) }) { continue }
                names.append((e.incidentID, name))
            }
            triggers.append((e, t.query, t.name))
        }
        guard !triggers.isEmpty else { return [] }
        let start = ContinuousClock.now
        do {
            let vectors = try await queryVectors(triggers.map(\.1.text))
            let payloads = try await withThrowingTaskGroup(of: (Int, RetrievalCompleted, TraceContext?).self) { group in
                for (i, t) in triggers.enumerated() {
                    group.addTask {
                        // One span per search, in the incident's trace; the answer carries it.
                        try await Spans.run("retrieve", kind: .internal, parent: t.0.trace) { a in
                            a["aiops.incident.id"] = t.0.incidentID
                            a["aiops.alertname"] = t.2
                            a["db.system.name"] = "postgresql"
                            a["db.operation.name"] = "hybrid search"
                        } _: { span in
                            var payload = try await run(t.1, vector: vectors[t.1.text]!)
                            payload.alertname = t.2
                            span.attributes["aiops.retrieval.postmortems"] = payload.postmortems.count
                            span.attributes["aiops.retrieval.runbooks"] = payload.runbooks.count
                            span.attributes["aiops.retrieval.found"] = payload.found
                            return (i, payload, Spans.traceContext(of: span))
                        }
                    }
                }
                var out = [(RetrievalCompleted, TraceContext?)?](repeating: nil, count: triggers.count)
                for try await (i, p, span) in group { out[i] = (p, span) }
                return out.map { $0! }
            }
            latency.recordDuration(since: start)
            // Remembered only once answered: a failed batch searches again when retried.
            for (incident, name) in names { _ = searched.insert(incident, name) }
            return zip(triggers, payloads).map { t, answered in
                if !answered.0.found { empty.increment() }
                return answer(t.0, name: t.2, answered.0, span: answered.1)
            }
        } catch let error as PostgresError where error.code == .connection {
            throw TransientHandlerError(error)
        } catch let error as EmbeddingsError where error.kind == .unavailable {
            throw TransientHandlerError(error)
        }
    }

    /// Query vectors for `texts`: cached ones reused, the others embedded in one request per encoder.
    func queryVectors(_ texts: [String]) async throws -> [String: QueryVectors] {
        var out: [String: QueryVectors] = [:]
        var missing: [String] = []
        for t in Set(texts) {
            if let v = vectors.get(t) { out[t] = v } else { missing.append(t) }
        }
        if !missing.isEmpty {
            let (secondUnavailable, logger) = (secondUnavailable, logger)
            let (firsts, seconds) = try await search.queryVectors(missing) { error in
                secondUnavailable.increment()
                logger.warning("second encoder unavailable: ranking with the first alone", metadata: ["error": "\(error)"])
            }
            for (i, t) in missing.enumerated() {
                let v = QueryVectors(first: firsts[i], second: seconds?[i])
                // Without the second encoder's vector (it was down), not cached: the next search asks again.
                if search.second == nil || v.second != nil { vectors.put(t, v) }
                out[t] = v
            }
        }
        return out
    }

    public func run(_ query: SearchQuery) async throws -> RetrievalCompleted {
        try await run(query, vector: try await queryVectors([query.text])[query.text]!)
    }

    func run(_ query: SearchQuery, vector: QueryVectors) async throws -> RetrievalCompleted {
        let model = search.embeddings.configuration.model
        var q = query
        q.kinds = [.postmortem, .runbook]
        q.limit = max(postmortems, runbooks)
        let byKind = try await search.searchByKind(q, queryVector: vector.first, secondVector: vector.second)
        func list(_ kind: DocumentKind, _ n: Int) -> [Citation] {
            guard let r = byKind[kind.rawValue], r.similar else { return [] }
            return Array(r.citations.prefix(n))
        }
        let p = list(.postmortem, postmortems)
        let r = list(.runbook, runbooks)
        let found = !(p.isEmpty && r.isEmpty)
        if !found && byKind.isEmpty {
            let chunks = try await search.store.counts().chunks
            if chunks == 0 {
                return RetrievalCompleted(query: query.text, found: false, reason: "the corpus index is empty",
                                          model: model, postmortems: [], runbooks: [])
            }
        }
        let returned = Set((p + r).map(\.chunkID))
        // The evidence travels with the event: the reasoner reads it from the log, replays show what was seen.
        let evidence = try await search.store.evidence(chunkIDs: (p + r).map(\.chunkID), documentIDs: (r + p).map(\.documentID))
        func withText(_ c: Citation) -> Citation { var c = c; c.text = evidence.texts[c.chunkID]; return c }
        let why = byKind.values.map { String(format: "best %@ covers %.0f%% of the alert's distinctive words, margin %.1f σ",
                                             $0.citations.first?.kind ?? "", $0.coverage * 100, $0.margin) }
        let sections = evidence.sections.filter { !returned.contains($0.chunkID) }
        var completed = RetrievalCompleted(
            query: query.text, found: found,
            reason: found ? nil : "nothing similar: " + (why.isEmpty ? "no candidate" : why.sorted().joined(separator: "; ")),
            model: model, postmortems: p.map(withText), runbooks: r.map(withText),
            runbookSections: sections.filter { $0.kind == "runbook" })
        completed.postmortemSections = sections.filter { $0.kind == "postmortem" }
        return completed
    }
}
