import ArgumentParser
import DaemonRuntime
import Foundation
import OperatorCLI
import IncidentLog
import Kafka
import Logging

@main
struct AIOps: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aiops",
        abstract: "Operator CLI of the AIOps triage system.",
        subcommands: [Replay.self, Incidents.self, IncidentCommand.self, CorpusCommand.self, Search.self, Eval.self,
                      Approvals.self, Approve.self, Reject.self,
                      TopicsCommand.self, Dev.self, KeysCommand.self, Settings.self, Bench.self, Chaos.self, Exporter.self])
}

/// Reads and decodes the whole incident log; undecodable records are reported, not fatal. With trusted keys
/// configured, records not signed by the producer they name (or not its to write) are reported and left out.
func readIncidentLog(_ kafka: KafkaOptions) async throws -> [IncidentEvent] {
    let reader = try KafkaTopicReader(topic: kafka.topics.incidents, configuration: kafka.configuration,
                                      logger: cliLogger())
    let auth = try kafka.authenticator()
    var events: [IncidentEvent] = []
    for m in try await reader.readToEnd() {
        do {
            if let auth {
                if let e = try auth.check(m) { events.append(e) }
            } else {
                events.append(try IncidentEventCodec.decode(m))
            }
        } catch {
            FileHandle.standardError.write(Data("warning: \(m.topic)[\(m.partition)]@\(m.offset) left out: \(Terminal.safe("\(error)"))\n".utf8))
        }
    }
    // Per incident the log order is the partition order; keep it.
    return events
}

struct Replay: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print an incident's timeline from the event log.")
    @OptionGroup var kafka: KafkaOptions
    @Argument(help: "Incident id (inc-…).") var incidentID: String
    @Flag(help: "Print the events as JSON lines.") var json = false

    func run() async throws {
        let events = try await readIncidentLog(kafka).filter { $0.incidentID == incidentID }
        let state = IncidentState(id: incidentID, events: events)
        guard !state.events.isEmpty else { throw ValidationError("no events for incident \(incidentID)") }
        if json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys]
            for e in state.events { print(String(decoding: try enc.encode(e), as: UTF8.self)) }
            return
        }
        // The incident's trace (the opening webhook's); an event in another trace (a later webhook) names its own.
        let trace = state.events[0].trace.traceID
        Terminal.say("incident \(incidentID): \(state.title) [\(state.status.rawValue)]")
        Terminal.say("trace \(trace)")
        for e in state.events {
            let other = e.trace.traceID == trace ? "" : "  (trace \(e.trace.traceID))"
            Terminal.say("\(RFC3339.format(e.occurredAt))  \(e.type.padding(toLength: 18, withPad: " ", startingAt: 0))  \(e.producer.padding(toLength: 15, withPad: " ", startingAt: 0))  \(Timeline.summary(e))\(other)")
        }
    }
}

struct Incidents: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List incidents with their state, most recent first.")
    @OptionGroup var kafka: KafkaOptions
    @Flag(help: "Only open incidents.") var open = false
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        var fold = IncidentLogFold()
        for e in try await readIncidentLog(kafka) { fold.apply(e) }
        let list = fold.sorted.filter { !open || $0.status == .open }
        if json {
            let rows = list.map { s in
                ["id": s.id, "status": s.status.rawValue, "title": s.title, "severity": s.opened?.severity ?? "",
                 "opened_at": s.openedAt.map(RFC3339.format) ?? "", "alerts_firing": String(s.firingAlerts.count),
                 "events": String(s.events.count)]
            }
            print(String(decoding: try JSONEncoder().encode(rows), as: UTF8.self))
            return
        }
        Terminal.say("ID                        STATUS    SEVERITY  FIRING  EVENTS  OPENED                    TITLE")
        for s in list {
            Terminal.say("\(s.id)  \(s.status.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0))  \((s.opened?.severity ?? "").padding(toLength: 8, withPad: " ", startingAt: 0))  \(String(s.firingAlerts.count).padding(toLength: 6, withPad: " ", startingAt: 0))  \(String(s.events.count).padding(toLength: 6, withPad: " ", startingAt: 0))  \((s.openedAt.map(RFC3339.format) ?? "").padding(toLength: 24, withPad: " ", startingAt: 0))  \(s.title)")
        }
    }
}

/// One-line summaries for the timeline.
enum Timeline {
    static func summary(_ e: IncidentEvent) -> String {
        switch e.payload {
        case .incidentOpened(let p): "\(p.source.rawValue): \(p.title) (severity \(p.severity)\(p.service.map { ", service \($0)" } ?? ""))"
        case .alertAttached(let p): "\(p.alertname) firing since \(p.startsAt) [\(p.fingerprint)]"
        case .alertResolved(let p): "\(p.alertname) resolved at \(p.endsAt) [\(p.fingerprint)]"
        case .incidentResolved(let p): p.reason
        case .retrievalCompleted(let p):
            (p.alertname.map { "\($0): " } ?? "") + (p.found
                ? "\(p.postmortems.count) postmortem(s), \(p.runbooks.count) runbook(s): " + p.citations.prefix(3).map { "\($0.documentID) §\($0.headingPath.split(separator: ">").last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "")" }.joined(separator: "; ")
                : "nothing found: \(p.reason ?? "")")
        case .actionApproved(let p): "\(p.action) \(p.parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")) approved by \(p.approver.kind.rawValue) \(p.approver.name)"
        case .actionStarted(let p): "\(p.action) started by \(p.executor)"
        case .actionExecuted(let p): "\(p.action) exited \(p.exitStatus) in \(p.durationMs) ms\(p.timedOut ? " (timed out)" : "")"
        case .actionFailed(let p): "\(p.action) did not run: \(p.error)"
        case .actionOutcomeUnknown(let p): "\(p.action) outcome unknown: \(p.reason)"
        case .incidentEscalated(let p): "escalated\(p.alertname.map { " (\($0))" } ?? ""): \(p.reason)"
        case .actionProposed(let p): (p.alertname.map { "\($0): " } ?? "") + "proposes \(p.action) — \(p.rationale) [\(p.citations.joined(separator: ", "))]"
        case .approvalRequested(let p): "\(p.action) waits for a human until \(p.expiresAt)"
        case .actionRejected(let p): "\(p.action) rejected by \(p.approver.name): \(p.reason)"
        case .approvalExpired(let p): "\(p.action) approval expired"
        case .triageProposed(let p):
            (p.alertname.map { "\($0): " } ?? "") + "\(p.steps.count) step(s); likely cause: \(p.likelyCause?.text ?? "unknown"); runbook \(p.runbook ?? "none")"
                + (p.hypotheses.map { hs in "; hypotheses: " + hs.prefix(4).map { "\($0.cause) \($0.status.rawValue) \($0.score)" }.joined(separator: ", ") } ?? "")
        case .unknown(let type, _): "(\(type))"
        }
    }
}
