import Actions
import DaemonRuntime
import Foundation
import IncidentLog
import Kafka
import Logging
import Metrics
import Tracing

/// The executor's handler: `ActionApproved` → `ActionStarted` → run →
/// `ActionExecuted` | `ActionFailed`. Each request runs at most once across
/// redeliveries and restarts: a destructive action found started without an
/// outcome is not re-run (`ActionOutcomeUnknown` + `IncidentEscalated`); a
/// read-only one may run again. Approvals without a valid approver signature,
/// or whose action or parameters do not fit the catalog, never run.
///
/// Up to `concurrency` actions run at once: records arrive in batches, each
/// approval is admitted in log order (so a duplicate is caught before it
/// runs), then the admitted ones run side by side, each appending its own
/// `ActionStarted` and outcome as soon as it has them. The batch's offsets are
/// stored once every outcome is on the log.
public struct ExecutorHandler: BatchMessageHandler {
    public static let producer = "executor"
    let catalog: ActionCatalog
    let executor: ActionExecutor
    let keyring: Keyring
    let policy: ApprovalPolicy
    let producer: KafkaProducer
    let topics: TopicSet
    let ledger: ExecutionLedger
    let name: String
    let concurrency: Int
    let logger: Logger
    let runs = Counter(label: "aiops_executor_actions_total", dimensions: [("outcome", "executed")])
    let refusals = Counter(label: "aiops_executor_actions_total", dimensions: [("outcome", "refused")])
    let unknowns = Counter(label: "aiops_executor_actions_total", dimensions: [("outcome", "unknown")])
    let running = Meter(label: "aiops_executor_running_actions")

    public init(catalog: ActionCatalog, keyring: Keyring, policy: ApprovalPolicy, producer: KafkaProducer, topics: TopicSet,
                ledger: ExecutionLedger, name: String = "executor", concurrency: Int = 4, logger: Logger) {
        self.catalog = catalog
        executor = ActionExecutor(catalog: catalog)
        self.keyring = keyring
        self.policy = policy
        self.producer = producer
        self.topics = topics
        self.ledger = ledger
        self.name = name
        self.concurrency = max(1, concurrency)
        self.logger = logger
    }

    public var maxBatchSize: Int { 64 }

    /// One path for one record and for many: every event goes out through the outage-waiting send.
    public func handle(_ message: KafkaConsumerMessage) async throws -> [KafkaOutgoingMessage] {
        try await handle(batch: [message])
    }

    /// An approved action that could not be run escalates the incident.
    public func deadLettered(_ message: KafkaConsumerMessage, error: String) -> [KafkaOutgoingMessage] {
        guard let event = try? IncidentEventCodec.decode(message), case .actionApproved(let a) = event.payload else { return [] }
        let escalation = DeadLetterEscalation.event(for: event, producer: Self.producer,
                                                    what: "\(a.action), approved by \(a.approver.name), did not run.", error: error)
        return (try? [IncidentEventCodec.encode(escalation, topics: topics)]) ?? []
    }

    public func handle(batch: [KafkaConsumerMessage]) async throws -> [KafkaOutgoingMessage] {
        // Decode everything before admitting anything: a poison record fails the batch while nothing is claimed.
        let events = try batch.map(decode)
        var immediate: [IncidentEvent] = []
        var admitted: [Run] = []
        for event in events {
            switch admit(event) {
            case .answer(let events): immediate += events
            case .run(let r): admitted.append(r)
            case nil: break
            }
        }
        if !immediate.isEmpty {
            try await producer.sendUntilAcknowledged(try immediate.map { try IncidentEventCodec.encode($0, topics: topics) },
                                                     logger: logger)
        }
        // At most `concurrency` at once; each run puts its own events on the log, retrying through outages,
        // so a run that finished is never lost to another one's failure.
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = admitted.makeIterator()
            func start() -> Bool {
                guard let r = next.next() else { return false }
                group.addTask {
                    let outcome = try await execute(r, sendStarted: { started in
                        try await producer.sendUntilAcknowledged([try IncidentEventCodec.encode(started, topics: topics)],
                                                                 logger: logger)
                    })
                    try await producer.sendUntilAcknowledged(try outcome.map { try IncidentEventCodec.encode($0, topics: topics) },
                                                             logger: logger)
                }
                return true
            }
            for _ in 0..<concurrency where !start() { break }
            while try await group.next() != nil { _ = start() }
        }
        return []
    }

    func decode(_ message: KafkaConsumerMessage) throws -> IncidentEvent {
        do { return try IncidentEventCodec.decode(message) } catch {
            throw PermanentHandlerError("not an incident event: \(error)")
        }
    }

    /// The events this one calls for; `ActionStarted` is produced (and acknowledged) before the action runs.
    public func react(to event: IncidentEvent) async throws -> [IncidentEvent] {
        switch admit(event) {
        case .answer(let events): return events
        case .run(let r):
            return try await execute(r) { started in
                try await producer.sendUntilAcknowledged([try IncidentEventCodec.encode(started, topics: topics)], logger: logger)
            }
        case nil: return []
        }
    }

    struct Run: Sendable {
        var event: IncidentEvent
        var approval: ActionApproved
        var prepared: PreparedAction
    }

    enum Admission: Sendable {
        case answer([IncidentEvent])
        case run(Run)
    }

    func derived(_ event: IncidentEvent, _ step: String, _ payload: IncidentEventPayload) -> IncidentEvent {
        .derived(incidentID: event.incidentID, producer: Self.producer, causationID: event.eventID, step: step,
                 trace: event.trace.child(), payload: payload)
    }

    /// Folds `event` in and decides, in log order, whether it runs: refusals and
    /// unknown outcomes are answered at once; an admitted run is claimed in the
    /// ledger so a duplicate of it is not admitted again.
    func admit(_ event: IncidentEvent, now: Date = Date()) -> Admission? {
        ledger.apply(event)
        guard case .actionApproved(let approval) = event.payload else { return nil }
        let state = ledger.entry(approval.requestID)
        if state.finished || state.claimed { return nil }
        func refuse(_ why: String) -> Admission {
            refusals.increment()
            logger.warning("refused approval", metadata: ["request": "\(approval.requestID)", "reason": "\(why)"])
            ledger.finish(approval.requestID)
            return .answer([derived(event, "outcome", .actionFailed(ActionFailed(requestID: approval.requestID, action: approval.action,
                                                                                 error: "refused: \(why)")))])
        }
        guard approval.hasValidSignature(incidentID: event.incidentID, keyring: keyring) else {
            return refuse("the approval is not signed by the approver")
        }
        guard approval.isValid(at: now) else {
            return refuse("the approval was valid from \(approval.issuedAt) to \(approval.notAfter), not now")
        }
        // What the executor remembers of what ran is sized by the policy's validity (BuildExecutor): a longer one is refused.
        if let validity = approval.validity, validity > policy.approvalValidSeconds + 1 {
            return refuse("the approval is valid for \(Int(validity)) s, longer than the policy's "
                          + "approval_valid_seconds \(Int(policy.approvalValidSeconds))")
        }
        if let closed = state.closed { return refuse("the log already says the request was \(closed)") }
        let prepared: PreparedAction
        do {
            prepared = try catalog.prepare(approval.action, parameters: approval.parameters)
        } catch {
            return refuse("\(error)")
        }
        guard prepared.definition.risk.rawValue == approval.risk else {
            return refuse("approved as \(approval.risk) but the catalog says \(prepared.definition.risk.rawValue)")
        }
        if let why = policyObjection(approval, prepared) { return refuse(why) }
        if state.started && prepared.definition.risk == .destructive {
            unknowns.increment()
            ledger.finish(approval.requestID)
            let reason = "\(approval.action) was started before a restart and its outcome was never recorded; not run again"
            return .answer([derived(event, "outcome", .actionOutcomeUnknown(ActionOutcomeUnknown(requestID: approval.requestID,
                                                                                                  action: approval.action, reason: reason))),
                            derived(event, "escalate:\(approval.requestID)", .incidentEscalated(IncidentEscalated(
                                reason: "destructive action outcome unknown",
                                summary: "\(approval.action) \(approval.parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")) approved by \(approval.approver.name) may or may not have run; check its effect before doing anything else.")))])
        }
        // Read-only and started before: running it again is harmless.
        ledger.claim(approval.requestID)
        return .run(Run(event: event, approval: approval, prepared: prepared))
    }

    /// Why the executor's own copy of the policy forbids running this approval, if it does: a destructive
    /// action needs a named human, or a pre-approval rule that exists here too and matches it; a policy
    /// approval of a read-only action needs the catalog to say read-only (checked above) and the policy to allow it.
    func policyObjection(_ approval: ActionApproved, _ prepared: PreparedAction) -> String? {
        guard approval.approver.kind == .policy else { return nil }
        switch prepared.definition.risk {
        case .readOnly:
            return policy.autoApproveReadOnly ? nil : "read-only actions need a human under this policy"
        case .destructive:
            guard let rule = policy.rules.first(where: { $0.name == approval.approver.name }) else {
                return "destructive and approved by \(approval.approver.name), which is no pre-approval rule here"
            }
            return rule.matches(action: approval.action, parameters: prepared.parameters)
                ? nil : "pre-approval rule \(rule.name) does not cover \(approval.action) with these parameters"
        }
    }

    /// Appends `ActionStarted` (through `sendStarted`, acknowledged before anything runs), runs, returns the outcome.
    func execute(_ r: Run, sendStarted: @Sendable (IncidentEvent) async throws -> Void) async throws -> [IncidentEvent] {
        // The run's span (GenAI's execute_tool), in the incident's trace: ActionStarted and the outcome carry it.
        try await Spans.run("execute_tool \(r.approval.action)", kind: .internal, parent: r.event.trace) { a in
            a["gen_ai.operation.name"] = "execute_tool"
            a["gen_ai.tool.name"] = r.approval.action
            a["aiops.incident.id"] = r.event.incidentID
            a["aiops.action.risk"] = r.approval.risk
            a["aiops.approver"] = r.approval.approver.name
            a["aiops.approver.kind"] = r.approval.approver.kind.rawValue
        } _: { span in
            let outcome = try await run(r, sendStarted: sendStarted)
            if case .actionExecuted(let x) = outcome.first?.payload {
                span.attributes["process.exit.code"] = Int(x.exitStatus)
                span.attributes["aiops.action.timed_out"] = x.timedOut
                if x.exitStatus != 0 { span.setStatus(SpanStatus(code: .error, message: "exit status \(x.exitStatus)")) }
            } else if case .actionFailed(let f) = outcome.first?.payload {
                span.setStatus(SpanStatus(code: .error, message: f.error))
            }
            return outcome
        }
    }

    private func run(_ r: Run, sendStarted: @Sendable (IncidentEvent) async throws -> Void) async throws -> [IncidentEvent] {
        let approval = r.approval
        let started = derived(r.event, "started", .actionStarted(ActionStarted(
            requestID: approval.requestID, action: approval.action, parameters: r.prepared.parameters,
            risk: approval.risk, executor: name)))
        // The start is on the log before anything runs: a crash from here on is visible.
        do { try await sendStarted(started) } catch {
            ledger.release(approval.requestID)
            throw error
        }
        ledger.markStarted(approval.requestID)
        running.increment(by: 1)
        defer { running.decrement(by: 1) }
        let outcome: IncidentEvent
        do {
            let result = try await executor.run(r.prepared)
            outcome = derived(r.event, "outcome", .actionExecuted(ActionExecuted(
                requestID: approval.requestID, action: approval.action, exitStatus: result.exitStatus,
                durationMs: result.durationMs, output: result.output, truncated: result.truncated, timedOut: result.timedOut)))
            runs.increment()
        } catch {
            outcome = derived(r.event, "outcome", .actionFailed(ActionFailed(requestID: approval.requestID,
                                                                             action: approval.action, error: "\(error)")))
        }
        ledger.finish(approval.requestID)
        return [outcome]
    }
}
