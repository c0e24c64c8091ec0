import DaemonRuntime
import IncidentLog
import Kafka
import Logging
import Metrics
import ServiceLifecycle

/// Follows the incident log from its start and keeps the domain figures
/// current (published once a second): only authentic events count.
struct LogService: Service, CustomStringConvertible {
    var description: String { "LogService" }
    let configuration: ExporterConfiguration
    let authenticator: RecordAuthenticator
    let ready: ReadyFlag
    let logger: Logger

    func run() async throws {
        let reader = try KafkaTopicReader(topic: configuration.topics.incidents, configuration: configuration.kafka, logger: logger)
        var fold = LogMetrics(retain: configuration.retain)
        var published = Published()
        let ttt = Timer(label: "aiops_time_to_triage_seconds", preferredDisplayUnit: .seconds)
        // Per incident, from its opening: the first human decision and the first mitigation that ran.
        let since: [IncidentMilestones.Milestone: Timer] = [
            .decided: Timer(label: "aiops_time_to_decision_seconds", preferredDisplayUnit: .seconds),
            .mitigated: Timer(label: "aiops_time_to_mitigation_seconds", preferredDisplayUnit: .seconds),
        ]
        func record(_ e: IncidentEvent) {
            if let t = fold.apply(e) { ttt.recordNanoseconds(Int64(t * 1e9)) }
            for r in fold.lastReached { since[r.milestone]?.recordNanoseconds(Int64(r.sinceOpened * 1e9)) }
        }
        for m in try await reader.readToEnd() {
            guard let e = try? authenticator.check(m) else { continue }
            record(e)
        }
        published.publish(fold)
        ready.value = true
        var last = ContinuousClock.now
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            let next: KafkaConsumerMessage?
            do { next = try await cancelWhenGracefulShutdown { try await reader.next(timeout: .milliseconds(500)) } } catch is CancellationError { return }
            if let m = next, let e = try? authenticator.check(m) { record(e) }
            if ContinuousClock.now - last > .seconds(1) {
                published.publish(fold)
                last = ContinuousClock.now
            }
        }
    }

    /// What was already added to each counter (the fold keeps totals; counters take increments).
    struct Published {
        var counted: [String: Int] = [:]

        mutating func publish(_ fold: LogMetrics) {
            for (state, n) in fold.incidents { Gauge(label: "aiops_incidents", dimensions: [("state", state)]).record(n) }
            for (type, n) in fold.eventsByType { add("aiops_log_events_total", [("type", type)], total: n) }
            for (kind, n) in fold.decisions { add("aiops_decisions_total", [("kind", kind)], total: n) }
            for (outcome, n) in fold.outcomes { add("aiops_action_outcomes_total", [("outcome", outcome)], total: n) }
            for (verdict, n) in fold.feedback { add("aiops_triage_feedback_total", [("verdict", verdict)], total: n) }
            for (key, n) in fold.plannerTokens {
                let parts = key.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
                let dims = [("planner", parts[0]), ("model", parts.count > 1 ? parts[1] : "")]
                add("aiops_planner_tokens_total", dims, total: n)
                add("aiops_planner_calls_total", dims, total: fold.plannerCalls[key] ?? 0)
            }
            Gauge(label: "aiops_approvals_waiting").record(fold.approvalsWaiting)
            Gauge(label: "aiops_approvals_oldest_waiting_seconds").record(fold.oldestWaitingSeconds())
        }

        private mutating func add(_ label: String, _ dims: [(String, String)], total: Int) {
            let key = label + "|" + dims.map { "\($0.0)=\($0.1)" }.joined(separator: ",")
            Counter(label: label, dimensions: dims).increment(by: total - counted[key, default: 0])
            counted[key] = total
        }
    }
}
