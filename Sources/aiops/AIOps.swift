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
        subcommands: [Replay.self, Incidents.self, Report.self, IncidentCommand.self, CorpusCommand.self, Search.self, Eval.self,
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
    @Option(help: "text (the timeline), json (events as JSON lines) or markdown (a postmortem draft for the handbook).")
    var format: String?

    func run() async throws {
        let events = try await readIncidentLog(kafka).filter { $0.incidentID == incidentID }
        let state = IncidentState(id: incidentID, events: events)
        guard !state.events.isEmpty else { throw ValidationError("no events for incident \(incidentID)") }
        let format = self.format ?? (json ? "json" : "text")
        guard ["text", "json", "markdown"].contains(format) else { throw ValidationError("--format is text, json or markdown") }
        if format == "markdown" {
            print(PostmortemDraft.render(state), terminator: "")
            return
        }
        if format == "json" {
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

