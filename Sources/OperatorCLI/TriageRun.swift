import Actions
import Foundation
import IncidentLog
import Ingest
import Retrieval
import Triage

/// One scenario through the handlers, the way the daemons chain them.
public enum TriageRun {
    public static func run(_ s: TriageScenario, run: String, retriever: RetrieverHandler, planner: any TriagePlanner,
                    catalog: ActionCatalog) async throws -> TriageTrajectory {
        let reasoner = ReasonerHandler(planner: planner, catalog: catalog, topics: TopicSet(), logger: cliLogger())
        let startsAt = RFC3339.format(Date().addingTimeInterval(-300))
        let alert = AlertmanagerWebhook.Alert(status: "firing", labels: s.alert.labels, annotations: s.alert.annotations ?? [:],
                                              startsAt: startsAt, generatorURL: s.alert.generatorURL ?? "",
                                              fingerprint: "\(run)-\(s.name)".filter { $0.isLetter || $0.isNumber })
        let webhook = AlertmanagerWebhook(groupKey: "{}:{eval=\"\(run)/\(s.name)\"}", status: "firing", receiver: "aiops",
                                          groupLabels: [:], commonLabels: s.alert.labels,
                                          commonAnnotations: s.alert.annotations ?? [:], externalURL: "", alerts: [alert])
        let plan = IngestPlanner.plan(webhook, open: nil, recent: RecentSet(capacity: 16), receivedAt: Date(), trace: .newRoot())
        var log = plan.events
        var queue = plan.events
        var unrecorded: [String] = []
        var recordedMs = 0
        var ttt: Double?
        let start = ContinuousClock.now
        var steps = 0
        while !queue.isEmpty, steps < 100 {
            steps += 1
            let e = queue.removeFirst()
            if let r = try await retriever.retrieve(for: e) {
                log.append(r)
                queue.append(r)
            }
            for o in try await reasoner.react(to: e) {
                log.append(o)
                switch o.payload {
                case .triageProposed:
                    if ttt == nil { ttt = (ContinuousClock.now - start).inMilliseconds + Double(recordedMs) }
                case .actionProposed(let p):
                    // What the approval policy runs by itself; a destructive step waits for a human: the run ends there,
                    // unless the scenario recorded what a person decided on this very step (a rerun of a real incident).
                    let decision = s.decision(for: p.action, parameters: p.parameters)
                    guard (try? catalog.action(p.action).risk) == .readOnly || decision != nil else { continue }
                    let outcome: IncidentEventPayload
                    if let d = decision, !d.approved {
                        outcome = .actionRejected(ActionRejected(requestID: o.eventID, action: p.action,
                                                                 approver: Approver(name: d.by, kind: .human), reason: d.reason ?? ""))
                    } else if let r = s.recording(for: p.action, parameters: p.parameters) {
                        recordedMs += r.durationMs ?? 0
                        outcome = .actionExecuted(ActionExecuted(requestID: o.eventID, action: p.action, exitStatus: r.exit ?? 0,
                                                                 durationMs: r.durationMs ?? 0, output: r.output, truncated: false,
                                                                 timedOut: false))
                    } else {
                        let call = "\(p.action) \(p.parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))"
                        unrecorded.append(call)
                        outcome = .actionFailed(ActionFailed(requestID: o.eventID, action: p.action,
                                                             error: "no recording of \(call) in this scenario"))
                    }
                    let producer = if case .actionRejected = outcome { "approver" } else { "executor" }
                    let answer = IncidentEvent.derived(incidentID: o.incidentID, producer: producer, causationID: o.eventID,
                                                       step: "outcome", trace: o.trace.child(), payload: outcome)
                    log.append(answer)
                    queue.append(answer)
                default:
                    break
                }
            }
        }
        return TriageTrajectory(scenario: s.name, events: log, unrecorded: unrecorded, timeToTriageMs: ttt)
    }
}

extension Duration {
    var inMilliseconds: Double { Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15 }
}
