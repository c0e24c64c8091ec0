import Actions
import DaemonRuntime
import Foundation
import IncidentLog
import Kafka
import Logging
import Synchronization

/// The approver: every `ActionProposed` gets exactly one answer — approved by
/// policy, a request for a named human (`ApprovalRequested`), or rejected
/// because it is not a valid catalog action. Only this daemon holds the
/// signing key; approvals it signs are the only ones the executor runs.
public final class ApproverHandler: MessageHandler, Sendable {
    public static let producer = "approver"
    /// The window a policy rule's `max_per_hour` counts approvals in.
    static let rateWindow: TimeInterval = 3600

    public struct Pending: Sendable, Hashable {
        public var incidentID: String
        public var request: ApprovalRequested
        public var causation: String
        public var trace: TraceContext
        /// The incident's title, for people deciding.
        public var title: String = ""
        /// The evidence the proposal cites (resolved against the incident's retrieval).
        public var evidence: [Citation] = []
        /// The incident's triage when the request was made: its cause, why, and the hypotheses weighed.
        public var triage: Triage? = nil
    }

    /// Requests remembered as answered, and incidents whose latest triage is kept (for feedback): the most
    /// recent ones, so a long-running approver's memory stays bounded. A proposal redelivered after 100,000
    /// later answers would be asked again (and deduplicated by its deterministic event id); feedback on an
    /// incident older than the last 20,000 triaged ones is refused as "no triage".
    public static let answeredCapacity = 100_000
    public static let triagesCapacity = 20_000

    private struct State {
        var pending: [String: Pending] = [:]
        var answered = RecentSet(capacity: ApproverHandler.answeredCapacity)
        /// Policy approvals per rule within the last `rateWindow` (older ones are dropped as new ones come).
        var approvalsByRule: [String: [Date]] = [:]
        /// Per open incident: title and retrieved evidence; per unanswered proposal: its citations.
        var titles: [String: String] = [:]
        var evidence: [String: [String: Citation]] = [:]
        var citations: [String: [String]] = [:]
        /// Per incident, its latest triage: what feedback is about (the `triagesCapacity` most recently triaged incidents).
        var triages: [String: Triage] = [:]
        var triaged = RecentSet(capacity: ApproverHandler.triagesCapacity)
    }

    /// A triage on the log: what feedback refers to and what people deciding are shown.
    public struct Triage: Sendable, Hashable {
        public var eventID: String
        public var trace: TraceContext
        public var likelyCause: String?
        public var chosenBecause: String?
        public var hypotheses: [Hypothesis] = []
    }

    let catalog: ActionCatalog
    let policy: ApprovalPolicy
    let key: ProducerKey
    let topics: TopicSet
    let logger: Logger
    private let state = Mutex(State())

    /// The open and recently resolved incidents, as the incident page shows them.
    public let incidents = IncidentViews()

    public init(catalog: ActionCatalog, policy: ApprovalPolicy, signingKey: ProducerKey, topics: TopicSet, logger: Logger) {
        self.catalog = catalog
        self.policy = policy
        key = signingKey
        self.topics = topics
        self.logger = logger
    }

    public var pending: [Pending] { state.withLock { Array($0.pending.values) }.sorted { $0.request.requestID < $1.request.requestID } }

    public func pending(_ requestID: String) -> Pending? { state.withLock { $0.pending[requestID] } }

    public func title(of incidentID: String) -> String? { state.withLock { $0.titles[incidentID] } }

    /// A proposal that could not be put before a human escalates the incident.
    public func deadLettered(_ message: KafkaConsumerMessage, error: String) -> [KafkaOutgoingMessage] {
        guard let event = try? IncidentEventCodec.decode(message), case .actionProposed(let p) = event.payload else { return [] }
        let escalation = DeadLetterEscalation.event(for: event, producer: Self.producer,
                                                    what: "The proposal \(p.action) never reached an approver.", error: error)
        return (try? [IncidentEventCodec.encode(escalation, topics: topics)]) ?? []
    }

    public func handle(_ message: KafkaConsumerMessage) async throws -> [KafkaOutgoingMessage] {
        let event: IncidentEvent
        do { event = try IncidentEventCodec.decode(message) } catch {
            throw PermanentHandlerError("not an incident event: \(error)")
        }
        return try react(to: event).map { try IncidentEventCodec.encode($0, topics: topics) }
    }

    /// Folds `event` in and answers it if it is a proposal not answered yet.
    public func react(to event: IncidentEvent, now: Date = Date()) -> [IncidentEvent] {
        observe(event)
        guard case .actionProposed(let proposal) = event.payload else { return [] }
        let requestID = event.eventID
        if state.withLock({ $0.answered.contains(requestID) || $0.pending[requestID] != nil }) { return [] }
        func derived(_ payload: IncidentEventPayload) -> IncidentEvent {
            .derived(incidentID: event.incidentID, producer: Self.producer, causationID: event.eventID, step: "answer",
                     trace: event.trace.child(), occurredAt: now, payload: payload)
        }
        let definition: ActionDefinition
        let prepared: PreparedAction
        do {
            prepared = try catalog.prepare(proposal.action, parameters: proposal.parameters)
            definition = prepared.definition
        } catch {
            let out = derived(.actionRejected(ActionRejected(requestID: requestID, action: proposal.action,
                                                             approver: Approver(name: "catalog", kind: .policy),
                                                             reason: "\(error)")))
            observe(out)
            return [out]
        }
        let decision = state.withLock { s in
            policy.decide(definition, parameters: prepared.parameters) { rule in
                (s.approvalsByRule[rule] ?? []).filter { now.timeIntervalSince($0) < Self.rateWindow }.count
            }
        }
        let out: IncidentEvent
        switch decision {
        case .approve(let rule):
            let approval = ActionApproved(
                requestID: requestID, action: proposal.action, parameters: prepared.parameters,
                risk: definition.risk.rawValue, approver: Approver(name: rule, kind: .policy),
                reason: definition.risk == .readOnly ? "read-only actions are approved automatically"
                    : "pre-approved by policy rule \(rule)", issuedAt: now, validFor: policy.approvalValidSeconds)
            guard let signed = try? approval.signed(incidentID: event.incidentID, key: key) else { return [] }
            out = derived(.actionApproved(signed))
        case .askHuman:
            out = derived(.approvalRequested(ApprovalRequested(
                requestID: requestID, action: proposal.action, parameters: prepared.parameters,
                risk: definition.risk.rawValue, rationale: proposal.rationale,
                expiresAt: RFC3339.format(now.addingTimeInterval(policy.approvalTTLSeconds)))))
        }
        observe(out)
        return [out]
    }

    /// A named human's decision on a pending request, folded in at once.
    public func decide(requestID: String, approver: String, approve: Bool, reason: String, now: Date = Date()) throws -> IncidentEvent {
        let out = try decision(requestID: requestID, approver: approver, approve: approve, reason: reason, now: now)
        observe(out)
        return out
    }

    /// The event for a named human's decision, not yet folded in: the API folds
    /// it in only once Kafka has it, so a failed write leaves the request pending.
    public func decision(requestID: String, approver: String, approve: Bool, reason: String, now: Date = Date()) throws -> IncidentEvent {
        guard let p = state.withLock({ $0.pending[requestID] }) else {
            throw ApproverError(.notFound, "no pending approval \(requestID)")
        }
        // Past its deadline it is the expiry's, not a person's, whatever the clock of the next expiry tick.
        if let deadline = RFC3339.parse(p.request.expiresAt), deadline <= now {
            throw ApproverError(.expired, "the approval request expired at \(p.request.expiresAt)")
        }
        let who = Approver(name: approver, kind: .human)
        let payload: IncidentEventPayload = approve
            ? .actionApproved(try ActionApproved(requestID: requestID, action: p.request.action, parameters: p.request.parameters,
                                                 risk: p.request.risk, approver: who, reason: reason, issuedAt: now,
                                                 validFor: policy.approvalValidSeconds)
                .signed(incidentID: p.incidentID, key: key))
            : .actionRejected(ActionRejected(requestID: requestID, action: p.request.action, approver: who, reason: reason))
        return IncidentEvent.derived(incidentID: p.incidentID, producer: Self.producer, causationID: p.causation,
                                     step: "decision", trace: p.trace.child(), occurredAt: now, payload: payload)
    }

    /// Pending requests past their deadline, oldest id first.
    public func due(now: Date = Date()) -> [Pending] {
        state.withLock { s in s.pending.values.filter { (RFC3339.parse($0.request.expiresAt) ?? .distantFuture) <= now } }
            .sorted { $0.request.requestID < $1.request.requestID }
    }

    /// `ApprovalExpired` + `IncidentEscalated` for a pending request, not folded in (see `DecisionRecorder`).
    public func expiry(of p: Pending, now: Date = Date()) -> [IncidentEvent] {
        let expired = IncidentEvent.derived(incidentID: p.incidentID, producer: Self.producer, causationID: p.causation,
                                            step: "decision", trace: p.trace.child(), occurredAt: now,
                                            payload: .approvalExpired(ApprovalExpired(requestID: p.request.requestID,
                                                                                      action: p.request.action)))
        let escalated = IncidentEvent.derived(incidentID: p.incidentID, producer: Self.producer, causationID: p.causation,
                                              step: "escalate:expired", trace: p.trace.child(), occurredAt: now,
                                              payload: .incidentEscalated(IncidentEscalated(
                                                reason: "approval expired",
                                                summary: "\(p.request.action) waited for approval until \(p.request.expiresAt) and was not run: \(p.request.rationale)")))
        return [expired, escalated]
    }

    /// The latest triage of an incident, if it has one.
    public func triage(of incidentID: String) -> Triage? { state.withLock { $0.triages[incidentID] } }

    /// What a named person said of an incident's latest triage (the event; nothing is written here).
    /// Throws when the incident has no triage or the feedback does not fit the log's limits.
    public func feedback(incidentID: String, by who: String, verdict: TriageFeedback.Verdict, rightCause: String?,
                         rightDocument: String?, note: String?, now: Date = Date()) throws -> IncidentEvent {
        guard let t = triage(of: incidentID) else { throw ApproverError(.notFound, "no triage for incident \(incidentID)") }
        let payload = TriageFeedback(triageEventID: t.eventID, verdict: verdict, by: Approver(name: who, kind: .human),
                                     rightCause: rightCause, rightDocument: rightDocument, note: note)
        let event = IncidentEvent.derived(incidentID: incidentID, producer: Self.producer, causationID: t.eventID,
                                          step: "feedback:\(who):\(verdict.rawValue)", trace: t.trace.child(), occurredAt: now,
                                          payload: .triageFeedback(payload))
        do { try event.validate() } catch { throw ApproverError(.invalid, "\(error)") }
        return event
    }

    /// Keeps pending requests, answers and rate-limit windows in step with the log.
    public func observe(_ event: IncidentEvent) {
        incidents.observe(event)
        state.withLock { s in
            switch event.payload {
            case .incidentOpened(let o):
                s.titles[event.incidentID] = o.title
            case .incidentResolved:
                s.titles[event.incidentID] = nil
                s.evidence[event.incidentID] = nil
            case .retrievalCompleted(let r):
                var byChunk = s.evidence[event.incidentID] ?? [:]
                for c in r.postmortems + r.runbooks + r.runbookSections { byChunk[c.chunkID] = c }
                s.evidence[event.incidentID] = byChunk
            case .actionProposed(let p):
                if !s.answered.contains(event.eventID) { s.citations[event.eventID] = p.citations }
            case .approvalRequested(let r):
                // Our own request comes back from the log: what was recorded when it was made stays.
                guard s.pending[r.requestID] == nil else { break }
                let cited = s.citations.removeValue(forKey: r.requestID) ?? []
                if !s.answered.contains(r.requestID) {
                    let known = s.evidence[event.incidentID] ?? [:]
                    s.pending[r.requestID] = Pending(incidentID: event.incidentID, request: r,
                                                     causation: event.causationID ?? r.requestID, trace: event.trace,
                                                     title: s.titles[event.incidentID] ?? event.incidentID,
                                                     evidence: cited.compactMap { known[$0] }, triage: s.triages[event.incidentID])
                }
            case .actionApproved(let a):
                s.pending[a.requestID] = nil
                s.citations[a.requestID] = nil
                let first = !s.answered.contains(a.requestID)
                s.answered.insert(a.requestID)
                if first && a.approver.kind == .policy {
                    s.approvalsByRule[a.approver.name, default: []].append(event.occurredAt)
                    s.approvalsByRule[a.approver.name]?.removeAll { event.occurredAt.timeIntervalSince($0) >= Self.rateWindow }
                }
            case .actionRejected(let r):
                s.pending[r.requestID] = nil
                s.citations[r.requestID] = nil
                s.answered.insert(r.requestID)
            case .approvalExpired(let e):
                s.pending[e.requestID] = nil
                s.answered.insert(e.requestID)
            case .triageProposed(let t):
                if let forgotten = s.triaged.insert(event.incidentID) { s.triages[forgotten] = nil }
                s.triages[event.incidentID] = Triage(eventID: event.eventID, trace: event.trace, likelyCause: t.likelyCause?.text,
                                                     chosenBecause: t.chosenBecause, hypotheses: t.hypotheses ?? [])
            default:
                break
            }
        }
    }
}
