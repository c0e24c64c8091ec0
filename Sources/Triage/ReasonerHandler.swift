import Actions
import DaemonRuntime
import Foundation
import IncidentLog
import Kafka
import Logging
import Synchronization
import Tracing

/// The reasoner: after retrieval, asks its planner (built-in or LLM) for the
/// next step, one at a time, waiting for each proposal's outcome; appends
/// `ActionProposed` or `TriageProposed` (citations checked against this
/// incident's retrieval). Whatever the planner returns is validated against
/// the catalog again here. Bounds: iterations, wall time, tokens, the same
/// action twice, diagnostics without new evidence, a failing planner — each
/// ends in `IncidentEscalated` with a partial summary (no new evidence only
/// stops diagnostics: the triage is made from what is known). State is the
/// fold of the incident's events (rebuilt from the log on start), so a
/// redelivered trigger is never answered twice.
public final class ReasonerHandler: MessageHandler, Sendable {
    public static let producer = "reasoner"
    let planner: any TriagePlanner
    let catalog: ActionCatalog
    let topics: TopicSet
    let bounds: ReasonerBounds
    let logger: Logger
    private let states = Mutex<[String: IncidentState]>([:])

    public init(planner: any TriagePlanner, catalog: ActionCatalog, topics: TopicSet,
                bounds: ReasonerBounds = ReasonerBounds(), logger: Logger) {
        self.planner = planner
        self.catalog = catalog
        self.topics = topics
        self.bounds = bounds
        self.logger = logger
    }

    public func observe(_ event: IncidentEvent) -> IncidentState {
        states.withLock { s in
            var state = s[event.incidentID] ?? IncidentState(id: event.incidentID)
            state.apply(event)
            if case .incidentResolved = event.payload {
                // Nothing is decided for a resolved incident again: keep only that it is resolved, not its history
                // (memory stays with the open incidents however long the daemon runs).
                var resolved = IncidentState(id: event.incidentID)
                resolved.apply(event)
                s[event.incidentID] = resolved
            } else {
                s[event.incidentID] = state
            }
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

    /// A trigger that could not be handled escalates the incident (else its triage would silently stop).
    public func deadLettered(_ message: KafkaConsumerMessage, error: String) -> [KafkaOutgoingMessage] {
        guard let event = try? IncidentEventCodec.decode(message) else { return [] }
        let trigger: Bool = switch event.payload {
        case .retrievalCompleted: true
        default: Self.outcome(event) != nil
        }
        guard trigger else { return [] }
        let escalation = DeadLetterEscalation.event(for: event, producer: Self.producer,
                                                    what: "The triage of this incident stopped.", error: error)
        _ = observe(escalation)
        return (try? [IncidentEventCodec.encode(escalation, topics: topics)]) ?? []
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
        // What wakes the loop: a retrieval (for its alert name), or an outcome of one of our proposals (for the
        // proposal's alert name). Each alert name in the incident is a problem with its own evidence, steps and triage.
        let problem: String
        switch event.payload {
        case .retrievalCompleted(let r):
            problem = r.alertname ?? ""
        default:
            guard let o = Self.outcome(event),
                  let proposal = ours.first(where: { $0.eventID == o.request && $0.type == "ActionProposed" }) else { return [] }
            problem = Self.problem(of: proposal) ?? ""
        }
        guard !state.escalated, !state.escalatedProblems.contains(problem), state.status == .open,
              let retrieval = state.retrievals[problem] else { return [] }
        let primaryName = state.opened?.labels["alertname"] ?? ""
        let primary = problem.isEmpty || problem == primaryName
        let name: String? = problem.isEmpty ? nil : problem
        let mine = ours.filter { (Self.problem(of: $0) ?? "") == problem }
        let proposals = mine.filter { $0.type == "ActionProposed" }
        func derived(_ step: String, _ payload: IncidentEventPayload) -> IncidentEvent {
            // The first problem keeps the plain step names; the others are told apart by their alert name.
            .derived(incidentID: event.incidentID, producer: Self.producer, causationID: event.eventID,
                     step: primary ? step : "\(step)@\(problem)", trace: event.trace.child(), occurredAt: now, payload: payload)
        }
        // Each request's outcome (the first recorded); wait while one of this problem's proposals has none yet.
        var outcomes: [String: PlanningContext.Step.Outcome] = [:]
        for e in state.events {
            if let o = Self.outcome(e), outcomes[o.request] == nil { outcomes[o.request] = o.outcome }
        }
        if proposals.contains(where: { outcomes[$0.eventID] == nil }) { return [] }

        let triaged = mine.contains { $0.type == "TriageProposed" }
        let spent = ours.reduce(0) { $0 + (Self.usage(of: $1)?.totalTokens ?? 0) }
        let title = primary ? state.title : problem
        func escalate(_ reason: String, usage: PlannerUsage? = nil) -> [IncidentEvent] {
            let known = triaged ? "a triage was proposed" : "no triage yet"
            let done = proposals.filter { if case .executed? = outcomes[$0.eventID] { true } else { false } }.count
            return [derived("escalate", .incidentEscalated(IncidentEscalated(
                reason: reason,
                summary: "\(title): \(proposals.count) action(s) proposed, \(done) executed, \(known); retrieval found \(retrieval.postmortems.count) postmortem(s) and \(retrieval.runbooks.count) runbook(s)\(retrieval.postmortems.first.map { ", closest past incident: \($0.title) (\($0.documentID))" } ?? "").",
                usage: usage, alertname: name)))]
        }
        if mine.count >= bounds.maxIterations { return escalate("iteration bound (\(bounds.maxIterations)) reached") }
        // A problem's wall time counts from when it joined the incident (its first retrieval).
        let started = primary ? state.openedAt : state.events.first {
            if case .retrievalCompleted(let r) = $0.payload { (r.alertname ?? "") == problem } else { false }
        }?.occurredAt
        if let started, now.timeIntervalSince(started) > bounds.maxWallSeconds {
            return escalate("wall-time bound (\(Int(bounds.maxWallSeconds)) s) reached")
        }
        if spent >= bounds.maxTokens { return escalate("token bound (\(bounds.maxTokens)) reached: \(spent) spent") }

        let allowed = Set(retrieval.citations.map(\.chunkID))
        let sections = EvidenceSection.from(retrieval)
        // Labels and annotations of this problem's alerts (firing first), and of the opening alert for the first.
        var labels: [String: String] = primary ? state.opened?.labels ?? [:] : [:]
        var annotations: [String: String] = primary ? state.opened?.annotations ?? [:] : [:]
        let alerts = state.firingAlerts + state.alerts.values.filter { !$0.firing }.sorted { $0.fingerprint < $1.fingerprint }
        var expression: String?
        for a in alerts where problem.isEmpty || a.alertname == problem {
            labels.merge(a.labels) { old, _ in old }
            annotations.merge(a.annotations) { old, _ in old }
            expression = expression ?? a.expression
        }
        let history = proposals.compactMap { e -> PlanningContext.Step? in
            guard case .actionProposed(let p) = e.payload, let outcome = outcomes[e.eventID] else { return nil }
            return PlanningContext.Step(requestID: e.eventID, proposal: p, outcome: outcome)
        }
        let stale = Self.diagnosticsWithoutNewEvidence(history)
        let stalled = stale >= bounds.noProgressIterations
        let context = PlanningContext(
            incidentID: state.id, title: title, labels: labels, annotations: annotations, retrieval: retrieval,
            sections: sections, history: history, triaged: triaged, diagnosticsAllowed: bounds.diagnostics && !stalled,
            concludeReason: stalled ? "the last \(stale) diagnostics brought no new evidence" : nil,
            tokensLeft: bounds.maxTokens - spent, alertExpression: expression)
        // A destructive step another problem of this incident already proposed goes to a human once.
        let incidentKeys = Set(ours.compactMap { e -> String? in
            if case .actionProposed(let p) = e.payload { ActionKey.of(p.action, p.parameters) } else { nil }
        })

        var plan: Plan
        do {
            // The agent's step (GenAI conventions): the planner's calls are its children.
            plan = try await withSpan("invoke_agent \(planner.name)", ofKind: .internal) { span in
                span.attributes["gen_ai.operation.name"] = "invoke_agent"
                span.attributes["gen_ai.agent.name"] = "aiops-reasoner"
                span.attributes["aiops.planner"] = planner.name
                span.attributes["aiops.incident.id"] = state.id
                span.attributes["aiops.alertname"] = problem
                let plan = try await planner.plan(context)
                switch plan.decision {
                case .propose(let c): span.attributes["aiops.decision"] = "propose \(c.action)"
                case .triage(_, let mitigation): span.attributes["aiops.decision"] = mitigation == nil ? "triage" : "triage with mitigation"
                case .done: span.attributes["aiops.decision"] = "done"
                }
                if let u = plan.usage {
                    span.attributes["gen_ai.usage.input_tokens"] = u.promptTokens
                    span.attributes["gen_ai.usage.output_tokens"] = u.completionTokens
                }
                return plan
            }
        } catch let error as PlannerError {
            logger.warning("planner failed, escalating", metadata: ["incident": "\(state.id)", "error": "\(error.message)"])
            return escalate("planner \(planner.name) failed: \(error.message)", usage: error.usage)
        }
        // Every decision is one planner call; a planner without a model (the built-in) spends no tokens.
        if plan.usage == nil { plan.usage = PlannerUsage(planner: planner.name, calls: 1) }
        let proposedKeys = context.proposedKeys
        let provenance = context.provenance
        func checked(_ c: Candidate) throws -> ActionProposed {
            // Whatever the planner says, only a catalog action with valid parameters is ever appended.
            let prepared = try catalog.prepare(c.action, parameters: c.parameters)
            if !context.diagnosticsAllowed && prepared.definition.risk == .readOnly {
                throw ActionError(.notAllowed, "diagnostics are over for this incident")
            }
            if let problem = provenance.problem(prepared.definition, prepared.parameters) {
                throw ActionError(.notAllowed, problem)
            }
            return ActionProposed(action: c.action, parameters: prepared.parameters, rationale: String(c.rationale.prefix(2_000)),
                                  citations: c.citations.filter(allowed.contains), usage: plan.usage, alertname: name)
        }
        func propose(_ p: ActionProposed) -> IncidentEvent {
            derived("propose:\(ActionKey.of(p.action, p.parameters))", .actionProposed(p))
        }
        switch plan.decision {
        case .done:
            return []
        case .propose(let c):
            let key = ActionKey.of(c.action, c.parameters)
            if proposedKeys.contains(key) {
                return escalate("no progress: \(c.action) with the same parameters was proposed again", usage: plan.usage)
            }
            // After the triage, a step another problem of this incident already put before a human is not repeated.
            if triaged, incidentKeys.contains(key) { return [] }
            do { return [propose(try checked(c))] } catch {
                return escalate("planner \(planner.name) proposed an invalid action: \(error)", usage: plan.usage)
            }
        case .triage(var t, let mitigation):
            t.observations = history.map(\.requestID)
            t.usage = plan.usage
            t.alertname = name
            let triage = derived("triage", .triageProposed(CitationCheck.validate(t, allowed: allowed)))
            guard let m = mitigation, !incidentKeys.contains(ActionKey.of(m.action, m.parameters)) else { return [triage] }
            // The mitigation goes to a human together with the triage; an invalid one is dropped, the triage stays.
            guard var p = try? checked(m) else {
                logger.warning("dropping an invalid mitigation", metadata: ["incident": "\(state.id)", "action": "\(m.action)"])
                return [triage]
            }
            p.usage = nil
            return [triage, propose(p)]
        }
    }

    /// Trailing diagnostics (read-only outcomes) that were failures or repeated earlier output.
    static func diagnosticsWithoutNewEvidence(_ history: [PlanningContext.Step]) -> Int {
        var seen: Set<String> = []
        var streak = 0
        for step in history {
            switch step.outcome {
            case .executed(let status, let output, _, _) where status == 0:
                let normalized = output.trimmingCharacters(in: .whitespacesAndNewlines)
                if !normalized.isEmpty && seen.insert(normalized).inserted { streak = 0 } else { streak += 1 }
            case .rejected, .expired:
                continue
            default:
                streak += 1
            }
        }
        return streak
    }

    /// The problem (alert name) one of our events is for.
    static func problem(of e: IncidentEvent) -> String? {
        switch e.payload {
        case .actionProposed(let p): p.alertname
        case .triageProposed(let t): t.alertname
        case .incidentEscalated(let x): x.alertname
        default: nil
        }
    }

    static func usage(of e: IncidentEvent) -> PlannerUsage? {
        switch e.payload {
        case .actionProposed(let p): p.usage
        case .triageProposed(let t): t.usage
        case .incidentEscalated(let x): x.usage
        default: nil
        }
    }

    /// The request an outcome event answers, and what it says.
    static func outcome(_ e: IncidentEvent) -> (request: String, outcome: PlanningContext.Step.Outcome)? {
        switch e.payload {
        case .actionExecuted(let p):
            (p.requestID, .executed(exitStatus: p.exitStatus, output: p.output, truncated: p.truncated, timedOut: p.timedOut))
        case .actionFailed(let p): (p.requestID, .failed(p.error))
        case .actionRejected(let p): (p.requestID, .rejected("\(p.approver.name): \(p.reason)"))
        case .approvalExpired(let p): (p.requestID, .expired)
        case .actionOutcomeUnknown(let p): (p.requestID, .unknown(p.reason))
        default: nil
        }
    }
}
