import Foundation
import IncidentLog
import OperatorCLI
import Testing
import Yams

/// How one trajectory of the triage eval is scored.
@Suite("aiops eval triage: scoring")
struct TriageScoreTests {
    let scenario = try! YAMLDecoder().decode(TriageScenario.self, from: """
        name: pool exhausted
        subset: ambiguous
        alert: {labels: {alertname: PaymentsAPIHighLatency, namespace: payments}}
        diagnostics:
          - {action: kubectl.logs, output: "Connection is not available"}
          - {action: kubectl.logs, when: {since: 1h}, output: "older"}
        expect:
          cause: postmortems/pool
          runbook: runbooks/pool
          evidence: [kubectl.logs, kubectl.top-pods]
          never: [kubectl.delete-pod]
        """)

    func event(_ producer: String, _ step: String, _ payload: IncidentEventPayload) -> IncidentEvent {
        .derived(incidentID: "inc-1", producer: producer, causationID: "c", step: step, trace: .newRoot(), payload: payload)
    }
    func citation(_ chunk: String) -> Citation {
        Citation(documentID: String(chunk.split(separator: "#")[0]), title: "t", path: "p", kind: "runbook", chunkID: chunk,
                 headingPath: "h", lineStart: 1, lineEnd: 2, score: 1, vectorRank: nil, textRank: nil, similarity: nil, boosts: [])
    }

    @Test func recordingsAnswerTheMostSpecificMatchAndNothingElse() {
        #expect(scenario.recording(for: "kubectl.logs", parameters: ["since": "1h"])?.output == "older")
        #expect(scenario.recording(for: "kubectl.logs", parameters: ["since": "15m"])?.output == "Connection is not available")
        #expect(scenario.recording(for: "kubectl.top-pods", parameters: [:]) == nil)
    }

    @Test func causeRunbookEvidenceForbiddenAndCitationsAreScored() {
        let retrieval = RetrievalCompleted(query: "q", found: true, reason: nil, model: "m",
                                           postmortems: [citation("postmortems/leak#1"), citation("postmortems/pool#2")],
                                           runbooks: [citation("runbooks/pool#0")])
        let logs = event("reasoner", "p1", .actionProposed(ActionProposed(action: "kubectl.logs", parameters: [:], rationale: "r",
                                                                         citations: ["runbooks/pool#0"])))
        let executed = event("executor", "o1", .actionExecuted(ActionExecuted(requestID: logs.eventID, action: "kubectl.logs",
                                                                              exitStatus: 0, durationMs: 5, output: "x", truncated: false,
                                                                              timedOut: false)))
        let triage = event("reasoner", "t", .triageProposed(TriageProposed(
            steps: [.init(text: "s", citations: ["runbooks/pool#0", "postmortems/invented#9"])],
            likelyCause: .init(text: "pool", confidence: 0.8, citations: ["postmortems/pool#2"]), runbook: "runbooks/pool#0",
            unknowns: [], rejectedSteps: [], observations: [logs.eventID])))
        let restart = event("reasoner", "p2", .actionProposed(ActionProposed(action: "kubectl.delete-pod", parameters: [:],
                                                                            rationale: "r", citations: [])))
        let top = event("reasoner", "p3", .actionProposed(ActionProposed(action: "kubectl.top-pods", parameters: [:], rationale: "r",
                                                                        citations: [])))
        let t = TriageTrajectory(scenario: scenario.name,
                                 events: [event("retriever", "r", .retrievalCompleted(retrieval)), logs, executed, triage, restart, top],
                                 unrecorded: [], timeToTriageMs: 80)
        let s = t.score(scenario) { $0 == "kubectl.delete-pod" }
        #expect(s.causeAt1 && s.runbookAt1)
        #expect(s.evidenceRecall == 0.5, "top-pods ran only after the mitigation was proposed")
        #expect(s.forbidden == 1)
        #expect(s.citationValidity == 4.0 / 5.0, "one cited chunk was never retrieved")
        #expect(s.iterations == 4)
        #expect(!s.baselineCauseAt1, "the top retrieved postmortem is the leak")
        #expect(s.baselineRunbookAt1)
    }

    @Test func withNoDocumentClaimingACauseIsWrong() throws {
        var uncovered = scenario
        uncovered.expect = try YAMLDecoder().decode(TriageScenario.Expectation.self, from: "never: [kubectl.delete-pod]")
        let claims = TriageTrajectory(scenario: "x", events: [event("reasoner", "t", .triageProposed(TriageProposed(
            steps: [], likelyCause: .init(text: "guess", confidence: 0.3, citations: ["postmortems/pool#1"]), runbook: nil,
            unknowns: [], rejectedSteps: [], observations: [])))], unrecorded: [], timeToTriageMs: nil)
        #expect(!claims.score(uncovered) { _ in false }.causeAt1)
        let honest = TriageTrajectory(scenario: "x", events: [event("reasoner", "t", .triageProposed(TriageProposed(
            steps: [], likelyCause: nil, runbook: nil, unknowns: ["no runbook matches this alert"], rejectedSteps: [],
            observations: [])))], unrecorded: [], timeToTriageMs: nil)
        let s = honest.score(uncovered) { _ in false }
        #expect(s.causeAt1 && s.runbookAt1)
    }
}
