import Foundation
import IncidentLog

/// `aiops replay INCIDENT --rerun`: the incident's recorded inputs — the first
/// alert of each alert name, what each diagnostic and action printed at the
/// time, and what people decided on the steps that waited for them — driven
/// again through today's retriever and reasoner (in process: nothing is
/// written to the log), each diagnostic answered from its recording when the
/// agent asks the same action with the same parameters, a call that was never
/// recorded answered as a failure and flagged, never invented. Then a
/// step-aligned comparison of the two trajectories.
public enum IncidentRerun {
    /// The recorded inputs of an incident as a scenario (its first alert); nil when it has no alert to replay.
    public static func scenario(_ state: IncidentState) -> TriageScenario? {
        scenarios(state).first
    }

    /// One scenario per problem: each distinct alert name of the incident, from the first alert of that name (the
    /// system triages each alert name on its own), in the order they started; the incident's opening alert when
    /// no alert was recorded.
    public static func scenarios(_ state: IncidentState) -> [TriageScenario] {
        let alerts = state.alerts.values.sorted { ($0.startsAt, $0.fingerprint) < ($1.startsAt, $1.fingerprint) }
        var names = Set<String>()
        let firsts = alerts.filter { names.insert($0.alertname).inserted }
        if firsts.isEmpty { return scenario(state, alert: nil).map { [$0] } ?? [] }
        let all = firsts.compactMap { scenario(state, alert: $0) }
        guard all.count > 1 else { return all }
        return all.map { s in
            var s = s
            s.name = "\(state.id) \(s.alert.labels["alertname"] ?? "")"
            return s
        }
    }

    static func scenario(_ state: IncidentState, alert first: IncidentState.Alert?) -> TriageScenario? {
        let labels = first?.labels ?? state.opened?.labels
        guard let labels, !labels.isEmpty else { return nil }
        var executed: [String: [ActionExecuted]] = [:]
        for e in state.events { if case .actionExecuted(let x) = e.payload { executed[x.requestID, default: []].append(x) } }
        var decided: [String: (approved: Bool, by: String, reason: String?)] = [:]
        for e in state.events {
            switch e.payload {
            case .actionApproved(let a) where a.approver.kind == .human: decided[a.requestID] = (true, a.approver.name, a.reason)
            case .actionRejected(let r): decided[r.requestID] = (false, r.approver.name, r.reason)
            default: break
            }
        }
        var recordings: [TriageScenario.Recording] = []
        var decisions: [TriageScenario.Decision] = []
        for e in state.events {
            guard case .actionProposed(let p) = e.payload else { continue }
            for x in executed[e.eventID] ?? [] {
                recordings.append(.init(action: p.action, when: p.parameters, exit: x.exitStatus, output: x.output,
                                        durationMs: x.durationMs))
            }
            if let d = decided[e.eventID] {
                decisions.append(.init(action: p.action, when: p.parameters, approved: d.approved, by: d.by, reason: d.reason))
            }
        }
        var s = TriageScenario(name: state.id, subset: "rerun",
                               alert: .init(labels: labels, annotations: first?.annotations ?? state.opened?.annotations,
                                            generatorURL: first?.generatorURL),
                               diagnostics: recordings, expect: .init())
        s.decisions = decisions.isEmpty ? nil : decisions
        return s
    }

    /// An incident someone corrected (`TriageFeedback` with a right cause or document) as an eval scenario: its alert,
    /// its recorded diagnostics, and the cause they named as the expectation. Nil when no feedback named one.
    public static func correctedScenario(_ state: IncidentState) -> TriageScenario? {
        guard var s = scenario(state) else { return nil }
        let corrections = state.events.compactMap { e -> TriageFeedback? in
            if case .triageFeedback(let f) = e.payload, f.verdict != .correct, f.rightCause != nil || f.rightDocument != nil { f } else { nil }
        }
        guard let f = corrections.last else { return nil }
        let cause = [f.rightCause, f.rightDocument].compactMap { $0 }.first { $0.hasPrefix("postmortems/") }
        let runbook = [f.rightCause, f.rightDocument].compactMap { $0 }.first { $0.hasPrefix("runbooks/") }
        s.name = "\(state.title) (\(state.id), corrected by \(f.by.name))"
        s.subset = "corrected"
        s.diagnostics = s.diagnostics?.map { r in var r = r; r.durationMs = nil; return r }
        s.expect = .init(cause: cause, runbook: runbook)
        return s
    }

    /// What changed between the recorded trajectory and the rerun.
    public struct Diff: Sendable, Equatable {
        public var recordedSteps: [String]
        public var rerunSteps: [String]
        /// The first step (0-based) where they differ, if any.
        public var firstDivergence: Int?
        public var evidenceAdded: [String]
        public var evidenceRemoved: [String]
        public var causeWas: String?
        public var causeNow: String?
        public var runbookWas: String?
        public var runbookNow: String?
        /// Calls the rerun made that no recording answers.
        public var unrecorded: [String]

        public var unchanged: Bool {
            firstDivergence == nil && evidenceAdded.isEmpty && evidenceRemoved.isEmpty && causeWas == causeNow
                && runbookWas == runbookNow && unrecorded.isEmpty
        }

        public var text: String {
            if unchanged { return "no change: \(recordedSteps.count) step(s), the same evidence, cause and runbook\n" }
            var out = ""
            if let i = firstDivergence {
                out += "first divergence at step \(i + 1):\n"
                out += "  was: \(i < recordedSteps.count ? recordedSteps[i] : "(nothing)")\n"
                out += "  now: \(i < rerunSteps.count ? rerunSteps[i] : "(nothing)")\n"
            }
            if !evidenceAdded.isEmpty { out += "evidence added: \(evidenceAdded.joined(separator: ", "))\n" }
            if !evidenceRemoved.isEmpty { out += "evidence removed: \(evidenceRemoved.joined(separator: ", "))\n" }
            if causeWas != causeNow { out += "cause: \(causeWas ?? "none") → \(causeNow ?? "none")\n" }
            if runbookWas != runbookNow { out += "runbook: \(runbookWas ?? "none") → \(runbookNow ?? "none")\n" }
            if !unrecorded.isEmpty { out += "not recorded (answered as failures): \(unrecorded.joined(separator: "; "))\n" }
            out += "steps was: \(recordedSteps.count), now: \(rerunSteps.count)\n"
            for (i, s) in rerunSteps.enumerated() { out += "  \(i + 1). \(s)\n" }
            return out
        }
    }

    /// Compares the recorded events of the alert's problem with the rerun's.
    public static func diff(recorded: [IncidentEvent], rerun: [IncidentEvent], alertname: String?, unrecorded: [String]) -> Diff {
        func mine(_ e: IncidentEvent) -> Bool {
            guard let name = alertname else { return true }
            switch e.payload {
            case .actionProposed(let p): return p.alertname == nil || p.alertname == name
            case .triageProposed(let t): return t.alertname == nil || t.alertname == name
            case .incidentEscalated(let x): return x.alertname == nil || x.alertname == name
            case .retrievalCompleted(let r): return r.alertname == nil || r.alertname == name
            default: return false
            }
        }
        let was = recorded.filter(mine), now = rerun.filter(mine)
        let a = steps(was), b = steps(now)
        let first = zip(a, b).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? (a.count == b.count ? nil : min(a.count, b.count))
        let evWas = evidence(was), evNow = evidence(now)
        let tWas = triage(was), tNow = triage(now)
        return Diff(recordedSteps: a, rerunSteps: b, firstDivergence: first,
                    evidenceAdded: evNow.subtracting(evWas).sorted(), evidenceRemoved: evWas.subtracting(evNow).sorted(),
                    causeWas: tWas?.0, causeNow: tNow?.0, runbookWas: tWas?.1, runbookNow: tNow?.1, unrecorded: unrecorded)
    }

    /// The reasoner's decisions, one line each.
    static func steps(_ events: [IncidentEvent]) -> [String] {
        events.compactMap { e in
            switch e.payload {
            case .actionProposed(let p):
                "propose \(p.action) " + p.parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            case .triageProposed(let t):
                "triage: cause \(cause(t) ?? "none"), runbook \(t.runbook.map(document) ?? "none")"
            case .incidentEscalated(let x):
                "escalate: \(x.reason)"
            default:
                nil
            }
        }
    }

    static func evidence(_ events: [IncidentEvent]) -> Set<String> {
        Set(events.flatMap { e -> [String] in
            if case .retrievalCompleted(let r) = e.payload { r.citations.map(\.documentID) } else { [] }
        })
    }

    static func triage(_ events: [IncidentEvent]) -> (String?, String?)? {
        for e in events {
            if case .triageProposed(let t) = e.payload { return (cause(t), t.runbook.map(document)) }
        }
        return nil
    }

    static func cause(_ t: TriageProposed) -> String? {
        (t.hypotheses?.first { $0.status == .supported }?.cause ?? t.likelyCause?.citations.first).map(document)
    }

    static func document(_ chunk: String) -> String { Citation.documentID(ofChunk: chunk) }
}
