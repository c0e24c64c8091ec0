import Foundation
import IncidentLog
import OperatorCLI
import TestSupport
import Testing
import Triage

/// `aiops replay --rerun`: an incident's recorded inputs through today's
/// agent. The same handbook: no change. A runbook edited since: the first
/// divergence, and a call nobody recorded is flagged, never invented.
@Suite("aiops replay --rerun", .enabled(if: enabled), .serialized)
struct IncidentRerunTests {
    @Test func noChangeOnTheSameHandbookAndTheDivergenceAfterARunbookChanged() async throws {
        let f = try await ReasonerFixture(name: "rerun-a")
        let opened = ReasonerFixture.opened()
        let log = try await PostmortemDraftTests.incident(f, opened: opened)
        let state = IncidentState(id: opened.incidentID, events: log)
        let scenario = try #require(IncidentRerun.scenario(state))
        #expect(scenario.diagnostics?.count == log.filter { $0.type == "ActionExecuted" }.count)

        let same = try await TriageRun.run(scenario, run: "same", retriever: f.retriever, planner: BuiltinPlanner(catalog: f.catalog),
                                           catalog: f.catalog)
        let unchanged = IncidentRerun.diff(recorded: log, rerun: same.events, alertname: "PaymentsAPIHighLatency", unrecorded: same.unrecorded)
        #expect(unchanged.unchanged, "\(unchanged.text)")
        #expect(unchanged.text.hasPrefix("no change"))

        // The runbook's first diagnosis line is gone and another command takes its place.
        let path = "runbooks/payments-latency-db-pool.md"
        let edited = try String(contentsOf: repo.appendingPathComponent("examples/ops-handbook/\(path)"), encoding: .utf8)
            .replacingOccurrences(of: "kubectl -n payments top pods -l app=payments-api",
                                  with: "kubectl -n payments get pods -l app=payments-api")
        let g = try await ReasonerFixture(name: "rerun-b", extra: [(path, edited)])
        let now = try await TriageRun.run(scenario, run: "edited", retriever: g.retriever, planner: BuiltinPlanner(catalog: g.catalog),
                                          catalog: g.catalog)
        let diff = IncidentRerun.diff(recorded: log, rerun: now.events, alertname: "PaymentsAPIHighLatency", unrecorded: now.unrecorded)
        #expect(!diff.unchanged)
        #expect(diff.firstDivergence == 0, "\(diff.text)")
        #expect(diff.recordedSteps.first?.hasPrefix("propose kubectl.top-pods") == true)
        #expect(diff.rerunSteps.first?.hasPrefix("propose kubectl.get-pods") == true, "\(diff.text)")
        #expect(diff.unrecorded.contains { $0.hasPrefix("kubectl.get-pods") }, "the new call was never recorded: flagged")
        #expect(diff.text.contains("first divergence at step 1"))
    }

    @Test func aCorrectedIncidentBecomesAScenarioTheCurrentAgentIsScoredOn() async throws {
        let f = try await ReasonerFixture(name: "export")
        let opened = ReasonerFixture.opened()
        var log = try await PostmortemDraftTests.incident(f, opened: opened)
        #expect(IncidentRerun.correctedScenario(IncidentState(id: opened.incidentID, events: log)) == nil, "nobody corrected it yet")
        let triage = try #require(log.last { $0.type == "TriageProposed" })
        log.append(.derived(incidentID: opened.incidentID, producer: "approver", causationID: triage.eventID, step: "feedback",
                            trace: triage.trace.child(), payload: .triageFeedback(TriageFeedback(
                                triageEventID: triage.eventID, verdict: .wrongCause, by: Approver(name: "alice", kind: .human),
                                rightCause: "postmortems/2025-02-20-payments-db-pool-leak", note: "a leak, not the pool size"))))
        let s = try #require(IncidentRerun.correctedScenario(IncidentState(id: opened.incidentID, events: log)))
        #expect(s.subset == "corrected" && s.expect.cause == "postmortems/2025-02-20-payments-db-pool-leak")
        #expect(s.diagnostics?.isEmpty == false && s.alert.labels["alertname"] == "PaymentsAPIHighLatency")
        // Today's agent on it: the case it got wrong scores as wrong, until the handbook or the planner learns.
        let t = try await TriageRun.run(s, run: "export", retriever: f.retriever, planner: BuiltinPlanner(catalog: f.catalog),
                                        catalog: f.catalog)
        let score = t.score(s) { (try? f.catalog.action($0).risk) == .destructive }
        #expect(!score.causeAt1)
    }
}

extension IncidentRerunTests {
    /// The recorded incident, ending with a destructive step waiting, then what a person decided on it and what
    /// followed (the reasoner's answer to it), as the log holds them.
    static func decided(_ f: ReasonerFixture, approved: Bool) async throws -> (log: [IncidentEvent], step: ActionProposed) {
        let opened = ReasonerFixture.pspOutage()
        var log = try await PostmortemDraftTests.incident(f, opened: opened, output: ReasonerFixture.pspOutput)
        let waiting = try #require(log.last { e in
            if case .actionProposed(let p) = e.payload { (try? f.catalog.action(p.action).risk) == .destructive } else { false }
        }, "the recorded incident ends with a destructive step waiting for a human")
        guard case .actionProposed(let step) = waiting.payload else { throw CancellationError() }
        func answer(_ producer: String, _ payload: IncidentEventPayload) -> IncidentEvent {
            .derived(incidentID: opened.incidentID, producer: producer, causationID: waiting.eventID, step: "outcome",
                     trace: waiting.trace.child(), payload: payload)
        }
        var answers: [IncidentEvent] = []
        if approved {
            answers.append(answer("approver", .actionApproved(try ActionApproved(
                requestID: waiting.eventID, action: step.action, parameters: step.parameters, risk: "destructive",
                approver: Approver(name: "alice", kind: .human), reason: "go", issuedAt: Date(), validFor: 600)
                .signed(incidentID: opened.incidentID, key: TestKeys.key("approver")))))
            answers.append(answer("executor", .actionExecuted(ActionExecuted(
                requestID: waiting.eventID, action: step.action, exitStatus: 0, durationMs: 900,
                output: "deployment.apps/payments-api restarted", truncated: false, timedOut: false))))
        } else {
            answers.append(answer("approver", .actionRejected(ActionRejected(
                requestID: waiting.eventID, action: step.action, approver: Approver(name: "alice", kind: .human),
                reason: "not during the sale"))))
        }
        for a in answers {
            log.append(a)
            log += try await f.reasoner.react(to: a)
        }
        return (log, step)
    }

    @Test(arguments: [false, true])
    func aHumanDecisionIsReDrivenThroughTodaysAgent(approved: Bool) async throws {
        let f = try await ReasonerFixture(name: "rerun-decided-\(approved)")
        let (log, step) = try await Self.decided(f, approved: approved)
        let incident = log[0].incidentID
        let scenario = try #require(IncidentRerun.scenario(IncidentState(id: incident, events: log)))
        let d = try #require(scenario.decisions?.first)
        #expect(d.action == step.action && d.when == step.parameters && d.approved == approved && d.by == "alice")

        let rerun = try await TriageRun.run(scenario, run: "decided", retriever: f.retriever,
                                            planner: BuiltinPlanner(catalog: f.catalog), catalog: f.catalog)
        let redriven = rerun.events.contains { e in
            switch e.payload {
            case .actionRejected(let r): !approved && r.approver.name == "alice" && r.reason == "not during the sale"
            case .actionExecuted(let x): approved && x.action == step.action && x.output == "deployment.apps/payments-api restarted"
            default: false
            }
        }
        #expect(redriven, "the recorded decision (and, approved, what the action printed) is given to today's agent")
        #expect(rerun.unrecorded.isEmpty, "\(rerun.unrecorded)")
        let diff = IncidentRerun.diff(recorded: log, rerun: rerun.events, alertname: "PaymentsAPIHighErrorRate", unrecorded: rerun.unrecorded)
        #expect(diff.unchanged, "today's agent does with the same decision what it did then: \(diff.text)")
    }
}

@Suite("aiops replay --rerun: one scenario per problem")
struct IncidentRerunScenarioTests {
    @Test func everyAlertNameOfAnIncidentIsReplayedFromItsFirstAlert() {
        let incident = EventIDs.incident(source: "alertmanager", parts: [UUID().uuidString])
        func attached(_ name: String, _ fingerprint: String, at: String) -> IncidentEvent {
            .derived(incidentID: incident, producer: "alert-ingestor", causationID: incident, step: "attach:\(fingerprint)",
                     trace: .newRoot(), payload: .alertAttached(AlertAttached(
                        alertID: "a-\(fingerprint)", fingerprint: fingerprint, alertname: name, startsAt: at, generatorURL: nil,
                        labels: ["alertname": name, "pod": fingerprint], annotations: ["summary": "\(name) on \(fingerprint)"])))
        }
        let opened = IncidentEvent.derived(
            incidentID: incident, producer: "alert-ingestor", causationID: incident, step: "open", trace: .newRoot(),
            payload: .incidentOpened(IncidentOpened(source: .alertmanager, groupKey: "{}:{namespace=\"shop\"}", title: "shop",
                                                    severity: "warning", service: nil, receiver: "aiops", externalURL: nil,
                                                    labels: ["namespace": "shop"], annotations: [:])))
        let state = IncidentState(id: incident, events: [
            opened,
            attached("KubePodCrashLooping", "f2", at: "2026-11-29T10:01:00Z"),
            attached("NodeFilesystemAlmostFull", "f1", at: "2026-11-29T10:00:00Z"),
            attached("KubePodCrashLooping", "f3", at: "2026-11-29T10:00:30Z"),
        ])
        let scenarios = IncidentRerun.scenarios(state)
        #expect(scenarios.map { $0.alert.labels["alertname"] } == ["NodeFilesystemAlmostFull", "KubePodCrashLooping"])
        #expect(scenarios.last?.alert.labels["pod"] == "f3", "the first alert of that name, by when it started")
        #expect(Set(scenarios.map(\.name)).count == 2)
        #expect(IncidentRerun.scenario(state)?.alert.labels["alertname"] == "NodeFilesystemAlmostFull")
    }
}

@Suite("the timeline names the alert's own runbook")
struct TimelineLinkedRunbookTests {
    @Test func aRunbookTheAlertLinksToIsNamedAsSuch() {
        func cite(_ id: String, boosts: [String]) -> Citation {
            Citation(documentID: id, title: id, path: "\(id).md", kind: "runbook", chunkID: "\(id)#0", headingPath: "Meaning",
                     lineStart: 1, lineEnd: 3, score: 1, vectorRank: 1, textRank: 1, similarity: 0.9, boosts: boosts)
        }
        var r = RetrievalCompleted(query: "q", found: true, reason: nil, model: "m", postmortems: [],
                                   runbooks: [cite("runbooks/kubernetes/kubepodcrashlooping", boosts: ["linked", "component"]),
                                              cite("runbooks/general", boosts: [])])
        r.alertname = "PodRestartingTooOften"
        let e = IncidentEvent.derived(incidentID: "inc-1", producer: "retriever", causationID: "inc-1", step: "retrieve",
                                      trace: .newRoot(), payload: .retrievalCompleted(r))
        #expect(Timeline.summary(e).hasSuffix("the alert's own runbook: runbooks/kubernetes/kubepodcrashlooping"))
        r.runbooks[0].boosts = ["alert"]
        #expect(r.linkedRunbook == nil)
    }
}
