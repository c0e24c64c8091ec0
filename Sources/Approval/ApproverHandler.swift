import Actions
import Crypto
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

    public struct Pending: Sendable, Hashable {
        public var incidentID: String
        public var request: ApprovalRequested
        public var causation: String
        public var trace: TraceContext
    }

    private struct State {
        var pending: [String: Pending] = [:]
        var answered: Set<String> = []
        var approvalsByRule: [String: [Date]] = [:]
    }

    let catalog: ActionCatalog
    let policy: ApprovalPolicy
    let key: SymmetricKey
    let topics: TopicSet
    let logger: Logger
    private let state = Mutex(State())

    public init(catalog: ActionCatalog, policy: ApprovalPolicy, signingKey: SymmetricKey, topics: TopicSet, logger: Logger) {
        self.catalog = catalog
        self.policy = policy
        key = signingKey
        self.topics = topics
        self.logger = logger
    }

    public var pending: [Pending] { state.withLock { Array($0.pending.values) }.sorted { $0.request.requestID < $1.request.requestID } }

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
                (s.approvalsByRule[rule] ?? []).filter { now.timeIntervalSince($0) < 3600 }.count
            }
        }
        let out: IncidentEvent
        switch decision {
        case .approve(let rule):
            out = derived(.actionApproved(ActionApproved(
                requestID: requestID, action: proposal.action, parameters: prepared.parameters,
                risk: definition.risk.rawValue, approver: Approver(name: rule, kind: .policy),
                reason: definition.risk == .readOnly ? "read-only actions are approved automatically"
                    : "pre-approved by policy rule \(rule)").signed(incidentID: event.incidentID, key: key)))
        case .askHuman:
            out = derived(.approvalRequested(ApprovalRequested(
                requestID: requestID, action: proposal.action, parameters: prepared.parameters,
                risk: definition.risk.rawValue, rationale: proposal.rationale,
                expiresAt: RFC3339.format(now.addingTimeInterval(policy.approvalTTLSeconds)))))
        }
        observe(out)
        return [out]
    }

    /// A named human's decision on a pending request (from the HTTP API or the CLI).
    public func decide(requestID: String, approver: String, approve: Bool, reason: String, now: Date = Date()) throws -> IncidentEvent {
        guard let p = state.withLock({ $0.pending[requestID] }) else {
            throw ActionError(.unknownAction, "no pending approval \(requestID)")
        }
        let who = Approver(name: approver, kind: .human)
        let payload: IncidentEventPayload = approve
            ? .actionApproved(ActionApproved(requestID: requestID, action: p.request.action, parameters: p.request.parameters,
                                             risk: p.request.risk, approver: who, reason: reason)
                .signed(incidentID: p.incidentID, key: key))
            : .actionRejected(ActionRejected(requestID: requestID, action: p.request.action, approver: who, reason: reason))
        let out = IncidentEvent.derived(incidentID: p.incidentID, producer: Self.producer, causationID: p.causation,
                                        step: "decision", trace: p.trace.child(), occurredAt: now, payload: payload)
        observe(out)
        return out
    }

    /// Pending requests past their deadline: `ApprovalExpired` + `IncidentEscalated`; the action does not run.
    public func expire(now: Date = Date()) -> [IncidentEvent] {
        let due = state.withLock { s in s.pending.values.filter { (RFC3339.parse($0.request.expiresAt) ?? .distantFuture) <= now } }
        var out: [IncidentEvent] = []
        for p in due.sorted(by: { $0.request.requestID < $1.request.requestID }) {
            let expired = IncidentEvent.derived(incidentID: p.incidentID, producer: Self.producer, causationID: p.causation,
                                                step: "decision", trace: p.trace.child(), occurredAt: now,
                                                payload: .approvalExpired(ApprovalExpired(requestID: p.request.requestID,
                                                                                          action: p.request.action)))
            let escalated = IncidentEvent.derived(incidentID: p.incidentID, producer: Self.producer, causationID: p.causation,
                                                  step: "escalate:expired", trace: p.trace.child(), occurredAt: now,
                                                  payload: .incidentEscalated(IncidentEscalated(
                                                    reason: "approval expired",
                                                    summary: "\(p.request.action) waited for approval until \(p.request.expiresAt) and was not run: \(p.request.rationale)")))
            observe(expired)
            out += [expired, escalated]
        }
        return out
    }

    /// Keeps pending requests, answers and rate-limit windows in step with the log.
    public func observe(_ event: IncidentEvent) {
        state.withLock { s in
            switch event.payload {
            case .approvalRequested(let r):
                if !s.answered.contains(r.requestID) {
                    s.pending[r.requestID] = Pending(incidentID: event.incidentID, request: r,
                                                     causation: event.causationID ?? r.requestID, trace: event.trace)
                }
            case .actionApproved(let a):
                s.pending[a.requestID] = nil
                if s.answered.insert(a.requestID).inserted && a.approver.kind == .policy {
                    s.approvalsByRule[a.approver.name, default: []].append(event.occurredAt)
                }
            case .actionRejected(let r):
                s.pending[r.requestID] = nil
                s.answered.insert(r.requestID)
            case .approvalExpired(let e):
                s.pending[e.requestID] = nil
                s.answered.insert(e.requestID)
            default:
                break
            }
        }
    }
}
