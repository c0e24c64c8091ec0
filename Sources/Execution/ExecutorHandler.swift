import Actions
import Crypto
import DaemonRuntime
import Foundation
import IncidentLog
import Kafka
import Logging
import Metrics

/// The executor's handler: `ActionApproved` → `ActionStarted` → run →
/// `ActionExecuted` | `ActionFailed`. Each request runs at most once across
/// redeliveries and restarts: a destructive action found started without an
/// outcome is not re-run (`ActionOutcomeUnknown` + `IncidentEscalated`); a
/// read-only one may run again. Approvals without a valid approver signature,
/// or whose action or parameters do not fit the catalog, never run.
public struct ExecutorHandler: MessageHandler {
    public static let producer = "executor"
    let catalog: ActionCatalog
    let executor: ActionExecutor
    let key: SymmetricKey
    let producer: KafkaProducer
    let topics: TopicSet
    let ledger: ExecutionLedger
    let name: String
    let logger: Logger
    let runs = Counter(label: "aiops_executor_actions_total", dimensions: [("outcome", "executed")])
    let refusals = Counter(label: "aiops_executor_actions_total", dimensions: [("outcome", "refused")])
    let unknowns = Counter(label: "aiops_executor_actions_total", dimensions: [("outcome", "unknown")])

    public init(catalog: ActionCatalog, approvalKey: SymmetricKey, producer: KafkaProducer, topics: TopicSet,
                ledger: ExecutionLedger, name: String = "executor", logger: Logger) {
        self.catalog = catalog
        executor = ActionExecutor(catalog: catalog)
        key = approvalKey
        self.producer = producer
        self.topics = topics
        self.ledger = ledger
        self.name = name
        self.logger = logger
    }

    public func handle(_ message: KafkaConsumerMessage) async throws -> [KafkaOutgoingMessage] {
        let event: IncidentEvent
        do { event = try IncidentEventCodec.decode(message) } catch {
            throw PermanentHandlerError("not an incident event: \(error)")
        }
        return try await react(to: event).map { try IncidentEventCodec.encode($0, topics: topics) }
    }

    /// The events this one calls for; `ActionStarted` is produced (and acknowledged) before the action runs.
    public func react(to event: IncidentEvent) async throws -> [IncidentEvent] {
        ledger.apply(event)
        guard case .actionApproved(let approval) = event.payload else { return [] }
        let state = ledger.entry(approval.requestID)
        if state.finished { return [] }
        func derived(_ step: String, _ payload: IncidentEventPayload) -> IncidentEvent {
            .derived(incidentID: event.incidentID, producer: Self.producer, causationID: event.eventID, step: step,
                     trace: event.trace.child(), payload: payload)
        }
        func refuse(_ why: String) -> [IncidentEvent] {
            refusals.increment()
            logger.warning("refused approval", metadata: ["request": "\(approval.requestID)", "reason": "\(why)"])
            ledger.finish(approval.requestID)
            return [derived("outcome", .actionFailed(ActionFailed(requestID: approval.requestID, action: approval.action,
                                                                  error: "refused: \(why)")))]
        }
        guard approval.hasValidSignature(incidentID: event.incidentID, key: key) else {
            return refuse("the approval is not signed by the approver")
        }
        let prepared: PreparedAction
        do {
            prepared = try catalog.prepare(approval.action, parameters: approval.parameters)
        } catch {
            return refuse("\(error)")
        }
        guard prepared.definition.risk.rawValue == approval.risk else {
            return refuse("approved as \(approval.risk) but the catalog says \(prepared.definition.risk.rawValue)")
        }
        if state.started {
            if prepared.definition.risk == .destructive {
                unknowns.increment()
                ledger.finish(approval.requestID)
                let reason = "\(approval.action) was started before a restart and its outcome was never recorded; not run again"
                return [derived("outcome", .actionOutcomeUnknown(ActionOutcomeUnknown(requestID: approval.requestID,
                                                                                      action: approval.action, reason: reason))),
                        derived("escalate:\(approval.requestID)", .incidentEscalated(IncidentEscalated(
                            reason: "destructive action outcome unknown",
                            summary: "\(approval.action) \(approval.parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")) approved by \(approval.approver.name) may or may not have run; check its effect before doing anything else.")))]
            }
            // Read-only: running it again is harmless.
        }
        let started = derived("started", .actionStarted(ActionStarted(
            requestID: approval.requestID, action: approval.action, parameters: prepared.parameters,
            risk: approval.risk, executor: name)))
        // The start is on the log before anything runs: a crash from here on is visible.
        try await producer.send(try IncidentEventCodec.encode(started, topics: topics))
        ledger.markStarted(approval.requestID)
        let outcome: IncidentEvent
        do {
            let r = try await executor.run(prepared)
            outcome = derived("outcome", .actionExecuted(ActionExecuted(
                requestID: approval.requestID, action: approval.action, exitStatus: r.exitStatus,
                durationMs: r.durationMs, output: r.output, truncated: r.truncated, timedOut: r.timedOut)))
            runs.increment()
        } catch {
            outcome = derived("outcome", .actionFailed(ActionFailed(requestID: approval.requestID,
                                                                    action: approval.action, error: "\(error)")))
        }
        ledger.finish(approval.requestID)
        return [outcome]
    }
}
