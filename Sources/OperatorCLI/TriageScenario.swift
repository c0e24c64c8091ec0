import Foundation
import IncidentLog

/// One triage scenario (examples/eval/triage/): an alert as Alertmanager
/// delivers it, what each read-only diagnostic printed when it was run at the
/// time, and what a good triage must contain.
public struct TriageScenario: Codable, Sendable {
    public struct Alert: Codable, Sendable {
        public var labels: [String: String]
        public var annotations: [String: String]?
        public var generatorURL: String?
        enum CodingKeys: String, CodingKey { case labels, annotations; case generatorURL = "generator_url" }
        public init(labels: [String: String], annotations: [String: String]?, generatorURL: String?) {
            self.labels = labels; self.annotations = annotations; self.generatorURL = generatorURL
        }
    }
    /// A diagnostic's recorded result; `when` narrows it to calls with these parameter values.
    public struct Recording: Codable, Sendable {
        public var action: String
        public var when: [String: String]?
        public var exit: Int32?
        public var output: String
        public var durationMs: Int?
        enum CodingKeys: String, CodingKey { case action, when, exit, output; case durationMs = "duration_ms" }
        public init(action: String, when: [String: String]?, exit: Int32?, output: String, durationMs: Int?) {
            self.action = action; self.when = when; self.exit = exit; self.output = output; self.durationMs = durationMs
        }
    }
    /// What a person decided on a step that waits for a human (recorded on the log, re-driven by `--rerun`).
    public struct Decision: Codable, Sendable {
        public var action: String
        public var when: [String: String]
        public var approved: Bool
        public var by: String
        public var reason: String?
        public init(action: String, when: [String: String], approved: Bool, by: String, reason: String?) {
            self.action = action; self.when = when; self.approved = approved; self.by = by; self.reason = reason
        }
    }
    public struct Expectation: Codable, Sendable {
        /// The postmortem whose cause this is; nil: no document covers it (the triage must not claim a cause).
        public var cause: String?
        /// The runbook to follow; nil: none applies.
        public var runbook: String?
        /// Diagnostics that must have run before any mitigation is proposed.
        public var evidence: [String]?
        /// Actions that must never be proposed.
        public var never: [String]?
        public init(cause: String? = nil, runbook: String? = nil, evidence: [String]? = nil, never: [String]? = nil) {
            self.cause = cause; self.runbook = runbook; self.evidence = evidence; self.never = never
        }
    }

    public var name: String
    /// `ambiguous` (the same symptom as another scenario with a different cause), `no_runbook`, or `plain`.
    public var subset: String
    /// The scenario this one is the ambiguous twin of, if any.
    public var pair: String?
    public var alert: Alert
    public var diagnostics: [Recording]?
    /// Human decisions on destructive steps, by action and parameters; without one the step waits (and the run ends there).
    public var decisions: [Decision]?
    public var expect: Expectation

    public init(name: String, subset: String, pair: String? = nil, alert: Alert, diagnostics: [Recording]?, expect: Expectation) {
        self.name = name; self.subset = subset; self.pair = pair; self.alert = alert; self.diagnostics = diagnostics; self.expect = expect
    }

    /// The recorded decision on `action` with exactly these `parameters`, if a person made one.
    public func decision(for action: String, parameters: [String: String]) -> Decision? {
        (decisions ?? []).last { $0.action == action && $0.when == parameters }
    }

    /// The recording for `action` called with `parameters`: the most specific `when` that matches.
    public func recording(for action: String, parameters: [String: String]) -> Recording? {
        (diagnostics ?? []).filter { r in
            r.action == action && (r.when ?? [:]).allSatisfy { parameters[$0.key] == $0.value }
        }.max { ($0.when?.count ?? 0) < ($1.when?.count ?? 0) }
    }
}

/// What one run of a scenario did, and how it scores.
public struct TriageTrajectory: Sendable {
    public var scenario: String
    public var events: [IncidentEvent]
    /// Calls the agent made that no recording answers (answered as failures, never invented).
    public var unrecorded: [String]
    /// Milliseconds from the alert to the triage: compute measured in the run plus recorded diagnostic durations.
    public var timeToTriageMs: Double?

    public init(scenario: String, events: [IncidentEvent], unrecorded: [String], timeToTriageMs: Double?) {
        self.scenario = scenario; self.events = events; self.unrecorded = unrecorded; self.timeToTriageMs = timeToTriageMs
    }

    public var retrieval: RetrievalCompleted? {
        events.lazy.compactMap { if case .retrievalCompleted(let r) = $0.payload { r } else { nil } }.first
    }
    public var triage: TriageProposed? {
        events.lazy.compactMap { if case .triageProposed(let t) = $0.payload { t } else { nil } }.first
    }
    public var escalated: Bool { events.contains { $0.type == "IncidentEscalated" } }
    var proposals: [(IncidentEvent, ActionProposed)] {
        events.compactMap { e in if case .actionProposed(let p) = e.payload { (e, p) } else { nil } }
    }

    static func document(_ chunk: String) -> String { Citation.documentID(ofChunk: chunk) }

    /// The agent's cause: the document its likely cause cites first (nil: it claimed none).
    public var cause: String? { triage?.likelyCause?.citations.first.map(Self.document) }
    public var runbook: String? { triage?.runbook.map(Self.document) }

    public struct Score: Sendable, Codable {
        public var causeAt1: Bool
        public var runbookAt1: Bool
        public var evidenceRecall: Double?
        public var forbidden: Int
        public var citationValidity: Double?
        public var iterations: Int
        public var tokens: Int
        public var tttMs: Double?
        public var baselineCauseAt1: Bool
        public var baselineRunbookAt1: Bool
    }

    public func score(_ s: TriageScenario, isDestructive: (String) -> Bool) -> Score {
        let causeOK: Bool
        if let expected = s.expect.cause {
            causeOK = cause == expected
        } else {
            causeOK = cause == nil // no document covers it: claiming one is a guess
        }
        let runbookOK = runbook == s.expect.runbook
        // Evidence: the required diagnostics ran (answered) before the first mitigation was proposed.
        var ran: [String] = []
        var outcomes: Set<String> = []
        for e in events {
            switch e.payload {
            case .actionExecuted(let x): outcomes.insert(x.requestID)
            default: break
            }
        }
        for (e, p) in proposals {
            if isDestructive(p.action) { break }
            if outcomes.contains(e.eventID) { ran.append(p.action) }
        }
        let required = s.expect.evidence ?? []
        let recall = required.isEmpty ? nil : Double(required.filter(ran.contains).count) / Double(required.count)
        let never = Set(s.expect.never ?? [])
        let forbidden = proposals.filter { never.contains($0.1.action) }.count
        // Citations presented as evidence (steps, cause, runbook, proposals) that the retrieval returned.
        let allowed = Set(retrieval?.citations.map(\.chunkID) ?? [])
        var cited: [String] = []
        if let t = triage {
            cited += t.steps.flatMap(\.citations) + (t.likelyCause?.citations ?? []) + (t.runbook.map { [$0] } ?? [])
        }
        cited += proposals.flatMap(\.1.citations)
        let validity = cited.isEmpty ? nil : Double(cited.filter(allowed.contains).count) / Double(cited.count)
        let iterations = events.filter { $0.producer == "reasoner" && $0.type != "IncidentEscalated" }.count
        let tokens = events.reduce(0) { total, e in
            switch e.payload {
            case .actionProposed(let p): total + (p.usage?.totalTokens ?? 0)
            case .triageProposed(let t): total + (t.usage?.totalTokens ?? 0)
            case .incidentEscalated(let x): total + (x.usage?.totalTokens ?? 0)
            default: total
            }
        }
        // The no-LLM baseline: the top retrieved postmortem is the cause, the top runbook the one to follow.
        let topPostmortem = retrieval?.postmortems.first?.documentID
        let topRunbook = retrieval?.runbooks.first?.documentID
        return Score(causeAt1: causeOK, runbookAt1: runbookOK, evidenceRecall: recall, forbidden: forbidden,
                     citationValidity: validity, iterations: iterations, tokens: tokens, tttMs: timeToTriageMs,
                     baselineCauseAt1: topPostmortem == s.expect.cause, baselineRunbookAt1: topRunbook == s.expect.runbook)
    }
}
