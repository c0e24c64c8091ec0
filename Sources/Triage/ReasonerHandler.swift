import Actions
import DaemonRuntime
import Foundation
import IncidentLog
import Kafka
import Logging
import Retrieval
import Synchronization

/// Bounds of the agent loop per incident.
public struct ReasonerBounds: Sendable {
    /// Proposals + triage the reasoner may append per incident.
    public var maxIterations = 10
    /// Time since the incident opened after which it escalates instead of proposing.
    public var maxWallSeconds: Double = 1_800
    /// Propose the runbook's read-only diagnostics before the triage (off: triage straight after retrieval).
    public var diagnostics = true
    public init(maxIterations: Int = 10, maxWallSeconds: Double = 1_800, diagnostics: Bool = true) {
        self.maxIterations = maxIterations
        self.maxWallSeconds = maxWallSeconds
        self.diagnostics = diagnostics
    }
}

/// The reasoner with the built-in planner: after retrieval, proposes the
/// read-only diagnostics of the cited runbooks one at a time, waits for each
/// outcome, then appends `TriageProposed` (citations checked against this
/// incident's retrieval), then proposes the runbook's destructive mitigation
/// for a human to approve. State is the fold of the incident's events (rebuilt
/// from the log on start), so a redelivered trigger is never answered twice.
public final class ReasonerHandler: MessageHandler, Sendable {
    public static let producer = "reasoner"
    let planner: BuiltinPlanner
    let store: IndexStore
    let topics: TopicSet
    let bounds: ReasonerBounds
    let logger: Logger
    private let states = Mutex<[String: IncidentState]>([:])

    public init(planner: BuiltinPlanner, store: IndexStore, topics: TopicSet, bounds: ReasonerBounds = ReasonerBounds(),
                logger: Logger) {
        self.planner = planner
        self.store = store
        self.topics = topics
        self.bounds = bounds
        self.logger = logger
    }

    public func observe(_ event: IncidentEvent) -> IncidentState {
        states.withLock { s in
            var state = s[event.incidentID] ?? IncidentState(id: event.incidentID)
            state.apply(event)
            s[event.incidentID] = state
            return state
        }
    }

    public func handle(_ message: KafkaConsumerMessage) async throws -> [KafkaOutgoingMessage] {
        let event: IncidentEvent
        do { event = try IncidentEventCodec.decode(message) } catch {
            throw PermanentHandlerError("not an incident event: \(error)")
        }
        return try await react(to: event).map { try IncidentEventCodec.encode($0, topics: topics) }
    }

    public func react(to event: IncidentEvent, now: Date = Date()) async throws -> [IncidentEvent] {
        let out = try await decide(event, now: now)
        // Our own events count at once, not only when they come back from the log.
        for e in out { _ = observe(e) }
        return out
    }

    private func decide(_ event: IncidentEvent, now: Date) async throws -> [IncidentEvent] {
        let state = observe(event)
        let ours = state.events.filter { $0.producer == Self.producer }
        let proposals = ours.filter { $0.type == "ActionProposed" }
        let proposalIDs = Set(proposals.map(\.eventID))
        // What wakes the loop: retrieval, or an outcome of one of our proposals.
        let trigger: Bool = switch event.payload {
        case .retrievalCompleted: true
        case .actionExecuted(let p): proposalIDs.contains(p.requestID)
        case .actionFailed(let p): proposalIDs.contains(p.requestID)
        case .actionRejected(let p): proposalIDs.contains(p.requestID)
        case .approvalExpired(let p): proposalIDs.contains(p.requestID)
        case .actionOutcomeUnknown(let p): proposalIDs.contains(p.requestID)
        default: false
        }
        guard trigger, !state.escalated, state.status == .open, let retrieval = state.retrieval else { return [] }
        func derived(_ step: String, _ payload: IncidentEventPayload) -> IncidentEvent {
            .derived(incidentID: event.incidentID, producer: Self.producer, causationID: event.eventID, step: step,
                     trace: event.trace.child(), occurredAt: now, payload: payload)
        }
        // Wait while one of our proposals has no outcome yet.
        let answered = Set(state.events.compactMap { e -> String? in
            switch e.payload {
            case .actionExecuted(let p): p.requestID
            case .actionFailed(let p): p.requestID
            case .actionRejected(let p): p.requestID
            case .approvalExpired(let p): p.requestID
            case .actionOutcomeUnknown(let p): p.requestID
            default: nil
            }
        })
        if proposals.contains(where: { !answered.contains($0.eventID) }) { return [] }

        let triaged = ours.contains { $0.type == "TriageProposed" }
        func escalate(_ reason: String) -> [IncidentEvent] {
            let known = triaged ? "a triage was proposed" : "no triage yet"
            return [derived("escalate", .incidentEscalated(IncidentEscalated(
                reason: reason,
                summary: "\(state.title): \(proposals.count) action(s) proposed, \(known); retrieval found \(retrieval.postmortems.count) postmortem(s) and \(retrieval.runbooks.count) runbook(s).")))]
        }
        if ours.count >= bounds.maxIterations { return escalate("iteration bound (\(bounds.maxIterations)) reached") }
        if let opened = state.openedAt, now.timeIntervalSince(opened) > bounds.maxWallSeconds {
            return escalate("wall-time bound (\(Int(bounds.maxWallSeconds)) s) reached")
        }

        let allowed = Set(retrieval.citations.map(\.chunkID))
        let sections = try await store.chunks(ids: Array(allowed)).map {
            EvidenceSection(chunkID: $0.id, documentID: $0.documentID, kind: $0.kind, headingPath: $0.headingPath, content: $0.content)
        }
        var labels = state.opened?.labels ?? [:]
        for a in state.firingAlerts { labels.merge(a.labels) { old, _ in old } }
        let candidates = planner.candidates(labels: labels, sections: sections)
        let proposedKeys = Set(proposals.compactMap { e -> String? in
            guard case .actionProposed(let p) = e.payload else { return nil }
            return Self.key(p.action, p.parameters)
        })
        func propose(_ c: Candidate) -> [IncidentEvent] {
            [derived("propose:\(Self.key(c.action, c.parameters))", .actionProposed(ActionProposed(
                action: c.action, parameters: c.parameters, rationale: c.rationale,
                citations: c.citations.filter(allowed.contains))))]
        }
        if bounds.diagnostics,
           let next = candidates.first(where: { $0.risk == .readOnly && !proposedKeys.contains(Self.key($0.action, $0.parameters)) }) {
            return propose(next)
        }
        if !triaged {
            let observations = proposals.map(\.eventID)
            let triage = CitationCheck.validate(planner.triage(retrieval: retrieval, sections: sections,
                                                               observations: observations), allowed: allowed)
            // The runbook's mitigation goes to a human together with the triage.
            let mitigation = candidates.first { $0.risk == .destructive && !proposedKeys.contains(Self.key($0.action, $0.parameters)) }
            return [derived("triage", .triageProposed(triage))] + (mitigation.map(propose) ?? [])
        }
        if let next = candidates.first(where: { $0.risk == .destructive && !proposedKeys.contains(Self.key($0.action, $0.parameters)) }) {
            return propose(next)
        }
        return []
    }

    static func key(_ action: String, _ params: [String: String]) -> String {
        action + "|" + params.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "&")
    }
}
