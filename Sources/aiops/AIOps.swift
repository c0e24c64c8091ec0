import Actions
import ArgumentParser
import DaemonRuntime
import Foundation
import IncidentLog
import Kafka
import Logging
import OperatorCLI
import Retrieval

@main
struct AIOps: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aiops",
        abstract: "Operator CLI of the AIOps triage system.",
        subcommands: [Replay.self, Incidents.self, Report.self, IncidentCommand.self, CorpusCommand.self, Search.self, Eval.self,
                      Approvals.self, Approve.self, Reject.self, Feedback.self,
                      TopicsCommand.self, Dev.self, KeysCommand.self, Settings.self, Bench.self, Chaos.self, Exporter.self])
}

/// Reads and decodes the whole incident log; undecodable records are reported, not fatal. With trusted keys
/// configured, records not signed by the producer they name (or not its to write) are reported and left out.
func readIncidentLog(_ kafka: KafkaOptions) async throws -> [IncidentEvent] {
    let reader = try KafkaTopicReader(topic: kafka.topics.incidents, configuration: try kafka.configuration,
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
    static let configuration = CommandConfiguration(abstract: "Print an incident's timeline from the event log, or re-run it through today's agent.")
    @OptionGroup var kafka: KafkaOptions
    @OptionGroup var index: IndexOptions
    @Argument(help: "Incident id (inc-…); with --rerun --last N, omitted.") var incidentID: String?
    @Flag(help: "Print the events as JSON lines.") var json = false
    @Option(help: "text (the timeline), json (events as JSON lines) or markdown (a postmortem draft for the handbook).")
    var format: String?
    @Flag(help: "Re-drive the incident's alert and recorded diagnostics through today's retriever and reasoner; print what changed.")
    var rerun = false
    @Option(help: "With --rerun: the last N incidents instead of one, summarised (exit 1 if any changed).") var last: Int?
    @Option(help: "With --rerun: the incidents opened in the last DURATION (30m, 24h, 7d) instead of one.") var since: String?
    @Option(help: "With --rerun: the planner (builtin, llm).") var planner = "builtin"
    @Option(help: "With --rerun: the actions catalog.") var catalog = "examples/actions/catalog.yaml"

    func run() async throws {
        if rerun { return try await rerunIncidents() }
        guard let incidentID else { throw ValidationError("an incident id is needed (aiops incidents lists them)") }
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

    /// One incident (or the last N) through today's agent, in process: nothing is written to the log.
    func rerunIncidents() async throws {
        var fold = IncidentLogFold()
        for e in try await readIncidentLog(kafka) { fold.apply(e) }
        let states: [IncidentState]
        if let incidentID {
            guard let s = fold.sorted.first(where: { $0.id == incidentID }) else { throw ValidationError("no events for incident \(incidentID)") }
            states = [s]
        } else if last != nil || since != nil {
            var recent = fold.sorted
            if let since {
                guard let unit = since.last, let n = Double(since.dropLast()), n > 0,
                      let seconds = ["s": 1.0, "m": 60, "h": 3_600, "d": 86_400][String(unit)] else {
                    throw ValidationError("--since is a number and a unit: 30m, 24h, 7d")
                }
                let cutoff = Date().addingTimeInterval(-n * seconds)
                recent = recent.filter { ($0.openedAt ?? .distantPast) >= cutoff }
            }
            states = Array(recent.prefix(max(1, last ?? Int.max)))
        } else {
            throw ValidationError("--rerun needs an incident id, --last N or --since DURATION")
        }
        let catalog = try ActionCatalog.load(path: self.catalog)
        let retriever = RetrieverHandler(search: try index.open().search, topics: TopicSet(), logger: cliLogger())
        let planner = try TriageEval.planner(planner, catalog: catalog)
        var changed = 0
        for state in states {
            let scenarios = IncidentRerun.scenarios(state)
            if scenarios.isEmpty {
                Terminal.say("\(state.id): no alert to replay")
                continue
            }
            Terminal.say("== \(state.id): \(state.title)")
            var different = false
            // Every alert name of the incident is a problem of its own, with its own evidence and triage.
            for scenario in scenarios {
                let t = try await TriageRun.run(scenario, run: "rerun", retriever: retriever, planner: planner, catalog: catalog)
                let name = scenario.alert.labels["alertname"]
                let diff = IncidentRerun.diff(recorded: state.events, rerun: t.events, alertname: name, unrecorded: t.unrecorded)
                if !diff.unchanged { different = true }
                if scenarios.count > 1 { Terminal.say("-- \(name ?? "(no alert name)")") }
                print(diff.text, terminator: "")
            }
            if different { changed += 1 }
        }
        if states.count > 1 { Terminal.say("\(states.count - changed) of \(states.count) incident(s) unchanged, \(changed) changed") }
        if changed > 0 { throw ExitCode(1) }
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

