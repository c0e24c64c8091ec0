import Actions
import ArgumentParser
import DaemonRuntime
import Foundation
import IncidentLog
import Ingest
import OperatorCLI
import Retrieval
import Triage
import Yams

/// `aiops eval triage SUITE`: each scenario's alert goes through the
/// ingestor's planner, the retriever and the reasoner (the daemons' own
/// handlers, on the real index); read-only diagnostics are answered from the
/// scenario's recordings (a call nobody recorded fails, never invented); a
/// destructive proposal is where a human would take over. Each trajectory is
/// scored: cause@1, runbook@1, evidence gathered before any mitigation,
/// forbidden proposals, citation validity, iterations, tokens, time to
/// triage — per planner, next to the no-LLM baseline "the top retrieved
/// postmortem is the cause".
struct TriageEval: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "triage",
        abstract: "cause@1, runbook@1, evidence recall, forbidden proposals, citation validity, iterations and time to triage on scenarios.")
    @OptionGroup var index: IndexOptions
    @Argument(help: "A scenario file or a directory of them (examples/eval/triage).") var suite: String
    @Option(help: "Index this handbook directory first (what changed only).") var corpus: String?
    @Option(help: "Planners to run, comma-separated: builtin, llm (LLM_URL, LLM_MODEL, … as for the reasoner).")
    var planners = "builtin"
    @Option(help: "Runs per scenario (pass@k over them).") var `repeat` = 1
    @Option(help: "Actions catalog.") var catalog = "examples/actions/catalog.yaml"
    @Flag(help: "One JSON object instead of tables.") var json = false
    @Flag(help: "Each scenario's outcome.") var verbose = false

    func run() async throws {
        let scenarios = try Self.load(suite)
        let (store, embeddings) = try index.store()
        try await store.migrate()
        if let corpus { try await EvalIndex.sync(URL(fileURLWithPath: corpus), store: store, embeddings: embeddings) }
        guard try await !store.indexedDocuments().isEmpty else { throw ValidationError("the index is empty: pass --corpus examples/ops-handbook") }
        let catalog = try ActionCatalog.load(path: self.catalog)
        let retriever = RetrieverHandler(search: HybridSearch(store: store, embeddings: embeddings), topics: TopicSet(), logger: cliLogger())
        var results: [String: [(TriageScenario, [TriageTrajectory.Score])]] = [:]
        let names = planners.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
        for name in names {
            let planner = try Self.planner(name, catalog: catalog)
            for s in scenarios {
                var scores: [TriageTrajectory.Score] = []
                for k in 0..<max(1, self.repeat) {
                    let t = try await TriageRun.run(s, run: "\(name)-\(k)", retriever: retriever, planner: planner, catalog: catalog)
                    let score = t.score(s) { (try? catalog.action($0).risk) == .destructive }
                    scores.append(score)
                    if verbose && k == 0 { Self.describe(s, t, score) }
                }
                results[name, default: []].append((s, scores))
            }
        }
        let report = TriageReport(results: results, planners: names, scenarios: scenarios.count, repeats: max(1, self.repeat))
        if json { print(report.json()) } else { print(report.table()) }
    }

    static func planner(_ name: String, catalog: ActionCatalog) throws -> any TriagePlanner {
        switch name {
        case "builtin": return BuiltinPlanner(catalog: catalog)
        case "llm":
            let config = try LLMConfiguration(ConfigSource())
            return LLMPlanner(client: try ChatCompletionsClient(configuration: config, logger: cliLogger()), catalog: catalog,
                              logger: cliLogger())
        default: throw ValidationError("--planners: builtin or llm, not \(name)")
        }
    }

    static func load(_ path: String) throws -> [TriageScenario] {
        struct File: Decodable { var scenarios: [TriageScenario] }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw ValidationError("no \(path)") }
        let files = isDirectory.boolValue
            ? try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".yaml") }.sorted()
                .map { URL(fileURLWithPath: path).appendingPathComponent($0).path }
            : [path]
        var out: [TriageScenario] = []
        for f in files {
            guard let data = FileManager.default.contents(atPath: f) else { throw ValidationError("cannot read \(f)") }
            do { out += try YAMLDecoder().decode(File.self, from: String(decoding: data, as: UTF8.self)).scenarios } catch {
                throw ValidationError("\(f): \(error)")
            }
        }
        guard !out.isEmpty else { throw ValidationError("no scenarios in \(path)") }
        return out
    }

    static func describe(_ s: TriageScenario, _ t: TriageTrajectory, _ score: TriageTrajectory.Score) {
        let mark = { (ok: Bool) in ok ? "ok  " : "MISS" }
        print("\(mark(score.causeAt1)) \(s.name) [\(s.subset)]: cause \(t.cause ?? "none") (expected \(s.expect.cause ?? "none")); runbook \(t.runbook ?? "none"); \(score.iterations) step(s)\(score.forbidden > 0 ? ", \(score.forbidden) FORBIDDEN proposal(s)" : "")\(t.escalated ? ", escalated" : "")\(t.unrecorded.isEmpty ? "" : "; unrecorded: \(t.unrecorded.joined(separator: ", "))")")
    }
}

/// One scenario through the handlers, the way the daemons chain them.
enum TriageRun {
    static func run(_ s: TriageScenario, run: String, retriever: RetrieverHandler, planner: any TriagePlanner,
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
                    // What the approval policy runs by itself; a destructive step waits for a human: the eval ends there.
                    guard (try? catalog.action(p.action).risk) == .readOnly else { continue }
                    let outcome: IncidentEventPayload
                    if let r = s.recording(for: p.action, parameters: p.parameters) {
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
                    let answer = IncidentEvent.derived(incidentID: o.incidentID, producer: "executor", causationID: o.eventID,
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
