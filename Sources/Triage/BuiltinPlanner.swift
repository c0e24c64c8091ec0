import Actions
import Foundation
import IncidentLog

/// The planner without an LLM: reads the diagnosis and mitigation commands of
/// the cited runbook sections, maps them to catalog actions with parameters
/// from the alert's labels (validated by the catalog; what does not validate
/// is dropped), orders read-only first, and builds the triage from the
/// evidence. Untrusted text only ever selects among catalog actions.
public struct BuiltinPlanner: TriagePlanner {
    struct Mapping: Sendable {
        var action: String
        var regex: NSRegularExpression
        var parameters: [String: [String]]
        var fixed: [String: String]
    }
    let catalog: ActionCatalog
    let mappings: [Mapping]
    public var name: String { "builtin" }

    /// Mappings come from the catalog (`runbook:` on an action); the kubectl
    /// actions of the example catalog have these defaults when they declare none.
    public init(catalog: ActionCatalog) {
        self.catalog = catalog
        mappings = catalog.actions.keys.sorted().compactMap { id in
            guard let m = catalog.actions[id]?.runbook ?? Self.defaults[id],
                  let regex = try? NSRegularExpression(pattern: m.pattern) else { return nil }
            return Mapping(action: id, regex: regex, parameters: m.parameters ?? [:], fixed: m.fixed ?? [:])
        }
    }

    static let defaults: [String: RunbookMatch] = [
        "kubectl.logs": .init(pattern: #"kubectl\b.*\blogs\b"#,
                              parameters: ["namespace": ["namespace"], "deployment": ["deployment", "app", "service"]],
                              fixed: ["since": "15m"]),
        "kubectl.top-pods": .init(pattern: #"kubectl\b.*\btop pods?\b"#, parameters: ["namespace": ["namespace"]]),
        "kubectl.get-pods": .init(pattern: #"kubectl\b.*\bget pods?\b"#,
                                  parameters: ["namespace": ["namespace"], "app": ["app", "service", "deployment"]]),
        "kubectl.describe-pod": .init(pattern: #"kubectl\b.*\bdescribe pod\b"#,
                                      parameters: ["namespace": ["namespace"], "pod": ["pod"]]),
        // A node's alerts (KubeNodeNotReady, …) carry the node's name in `node` (kube-state-metrics).
        "kubectl.describe-node": .init(pattern: #"kubectl\b.*\bdescribe nodes?\b"#, parameters: ["node": ["node"]]),
        "kubectl.rollout-restart": .init(pattern: #"kubectl\b.*\brollout restart\b"#,
                                         parameters: ["namespace": ["namespace"], "deployment": ["deployment", "app", "service"]]),
    ]

    /// Read-only diagnostics of the runbooks one at a time, then the triage — its cause the past incident the
    /// diagnostics' outputs support (`HypothesisTest`), its runbook the one that fits that cause — with that
    /// runbook's first destructive mitigation, then its other mitigations one outcome at a time.
    public func plan(_ context: PlanningContext) async throws -> Plan {
        // Parameters come from labels only; annotations are free text and never fill one.
        let candidates = (alertSeries(context).map { [$0] } ?? []) + signalChecks(context)
            + candidates(labels: context.labels, sections: context.sections)
        let proposed = context.proposedKeys
        let fresh = candidates.filter { !proposed.contains(ActionKey.of($0.action, $0.parameters)) }
        if context.diagnosticsAllowed, let next = fresh.first(where: { $0.risk == .readOnly }) {
            return Plan(.propose(next))
        }
        var t = triage(context)
        let mitigation = Self.mitigation(fresh, triage: t, context: context)
        if !context.triaged {
            if let why = context.concludeReason { t.unknowns.insert(why, at: 0) }
            return Plan(.triage(t, mitigation: mitigation))
        }
        return Plan(mitigation.map { .propose($0) } ?? .done)
    }

    /// The mitigation to put before a human: the triage's runbook's first destructive step, if it has one. Never
    /// another runbook's: when the diagnostics did not confirm a cause, a fix written for some other cause (a
    /// restart, a scale-down) is a guess, and the triage leaves the decision to people.
    static func mitigation(_ fresh: [Candidate], triage t: TriageProposed, context: PlanningContext) -> Candidate? {
        let own = Set(context.sections.filter { $0.documentID == t.runbook.map(document) }.map(\.chunkID))
        return fresh.first { $0.risk == .destructive && !own.isDisjoint(with: $0.citations) }
    }

    static func document(_ chunkID: String) -> String { Citation.documentID(ofChunk: chunkID) }

    /// What the diagnostics printed, for testing the candidate causes.
    static func observations(_ history: [PlanningContext.Step]) -> [HypothesisTest.Observation] {
        history.compactMap { step in
            guard case .executed(let status, let output, _, _) = step.outcome, status == 0 else { return nil }
            return HypothesisTest.Observation(requestID: step.requestID, action: step.proposal.action, output: output)
        }
    }

    /// The alerting series itself, when the catalog has the alert-expression query (a `prometheus` action whose
    /// query is exactly `{expr}`) and the alert carries its expression: the first diagnostic, what fired and how
    /// it moved.
    func alertSeries(_ context: PlanningContext) -> Candidate? {
        guard let expr = context.alertExpression, let a = prometheusAction(query: "{expr}"),
              let prepared = try? catalog.prepare(a.id, parameters: ["expr": expr]) else { return nil }
        let window = a.rangeMinutes.map { ", last \($0) minutes" } ?? ""
        return Candidate(action: a.id, parameters: prepared.parameters, risk: prepared.definition.risk,
                         rationale: "the alerting rule's own series (from the alert's generatorURL)\(window)", citations: [])
    }

    /// The measurements the similar past incidents declare as their causes' fingerprints ("Signals" sections), in
    /// the retrieval's order: the checks that tell the candidates apart, run before the runbooks' diagnostics. Needs
    /// the catalog's signal query (a `prometheus` action whose query is exactly `{signal}`).
    func signalChecks(_ context: PlanningContext) -> [Candidate] {
        guard let a = prometheusAction(query: "{signal}") else { return [] }
        var out: [Candidate] = []
        var seen: Set<String> = []
        for s in context.sections where s.kind == "postmortem" && s.headingPath.lowercased().contains("signal") {
            for signal in HypothesisTest.signals(in: s.content) where seen.insert(signal.query).inserted {
                guard let prepared = try? catalog.prepare(a.id, parameters: ["signal": signal.query]) else { continue }
                out.append(Candidate(action: a.id, parameters: prepared.parameters, risk: prepared.definition.risk,
                                     rationale: "\(s.headingPath): \(signal.text) means this past incident's cause",
                                     citations: [s.chunkID]))
            }
        }
        return out
    }

    /// The catalog's `prometheus` action whose query is exactly `query` (the first by id).
    func prometheusAction(query: String) -> ActionDefinition? {
        catalog.actions.values.sorted { $0.id < $1.id }.first { $0.runner == .prometheus && $0.query == query }
    }

    public func candidates(labels: [String: String], sections: [EvidenceSection]) -> [Candidate] {
        var out: [Candidate] = []
        // The same action with the same parameters, found in several runbooks, is one candidate citing each of them:
        // which runbook the triage follows decides whether its mitigation is that runbook's own.
        var seen: [String: Int] = [:]
        for section in sections where section.kind == "runbook" {
            for line in section.content.split(separator: "\n") {
                let text = String(line)
                let range = NSRange(text.startIndex..., in: text)
                for m in mappings where m.regex.firstMatch(in: text, range: range) != nil {
                    var params = m.fixed
                    var complete = true
                    for (name, keys) in m.parameters {
                        if let v = keys.lazy.compactMap({ labels[$0] }).first { params[name] = v } else { complete = false }
                    }
                    guard complete, let prepared = try? catalog.prepare(m.action, parameters: params) else { continue }
                    let key = m.action + "|" + params.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "&")
                    if let i = seen[key] {
                        if !out[i].citations.contains(section.chunkID) { out[i].citations.append(section.chunkID) }
                        continue
                    }
                    seen[key] = out.count
                    out.append(Candidate(action: m.action, parameters: prepared.parameters, risk: prepared.definition.risk,
                                         rationale: "\(section.headingPath): \(line.trimmingCharacters(in: .whitespaces).prefix(160))",
                                         citations: [section.chunkID]))
                }
            }
        }
        // Read-only first, each group in evidence order.
        return out.filter { $0.risk == .readOnly } + out.filter { $0.risk == .destructive }
    }

    /// The triage from the evidence and what the diagnostics returned.
    public func triage(_ context: PlanningContext) -> TriageProposed {
        let retrieval = context.retrieval
        let alertText = (Array(context.labels.values) + Array(context.annotations.values)).joined(separator: " ")
        let observations = Self.observations(context.history)
        let test = HypothesisTest.run(retrieval: retrieval, observations: observations, alertText: alertText)
        let chosen = test.chosen.map { test.hypotheses[$0] }
        let runbook = Self.runbook(for: test.supported ? chosen : nil, retrieval: retrieval, sections: context.sections,
                                   observations: observations, alertText: alertText)
        var steps: [TriageProposed.Step] = []
        for s in context.sections where s.documentID == runbook?.documentID && s.kind == "runbook" {
            for line in s.content.split(separator: "\n") {
                let t = line.trimmingCharacters(in: .whitespaces)
                guard let first = t.first, first.isNumber || t.hasPrefix("- ") else { continue }
                steps.append(.init(text: String(t.drop { $0.isNumber || $0 == "." || $0 == "-" || $0 == " " }), citations: [s.chunkID]))
            }
        }
        let cause = chosen.map { h -> TriageProposed.Cause in
            let second = test.hypotheses.count > 1 ? test.hypotheses[1].score : 0
            if test.supported {
                return TriageProposed.Cause(text: "\(h.title): the diagnostics show \(h.evidenceFor.joined(separator: "; ")) (\(h.cause))",
                                            confidence: min(0.9, 0.5 + 0.4 * (1 - second / max(h.score, 0.01))), citations: h.citations)
            }
            let similarity = retrieval.postmortems.first { $0.documentID == h.cause }?.similarity ?? 0.8
            return TriageProposed.Cause(text: "Resembles \(h.title) (\(h.cause)); not confirmed by the diagnostics",
                                        confidence: min(0.5, max(0.1, (similarity - 0.75) * 4)), citations: h.citations)
        }
        var unknowns: [String] = []
        if retrieval.postmortems.isEmpty { unknowns.append("no similar past incident was found") }
        if retrieval.runbooks.isEmpty { unknowns.append("no runbook matches this alert") }
        if context.history.isEmpty { unknowns.append("no diagnostics could be run with the alert's labels") }
        if !test.supported && chosen != nil { unknowns.append("which of the similar past incidents this is: \(test.because)") }
        unknowns.append("what changed right before the alert (deploys, config, traffic)")
        var t = TriageProposed(steps: steps, likelyCause: cause, runbook: runbook?.chunkID, unknowns: unknowns,
                               rejectedSteps: [], observations: context.history.map(\.requestID))
        t.hypotheses = test.hypotheses.isEmpty ? nil : test.hypotheses
        t.chosenBecause = test.because
        return t
    }

    /// The runbook to follow: the retrieval's first, unless the supported cause's story and what was observed
    /// fit another returned runbook clearly better.
    static func runbook(for cause: Hypothesis?, retrieval: RetrievalCompleted, sections: [EvidenceSection],
                        observations: [HypothesisTest.Observation], alertText: String) -> Citation? {
        guard let top = retrieval.runbooks.first else { return nil }
        guard let cause, retrieval.runbooks.count > 1 else { return top }
        let story = retrieval.postmortemSections.filter { $0.documentID == cause.cause }.map { $0.text ?? "" }
            + retrieval.postmortems.filter { $0.documentID == cause.cause }.map { $0.title + " " + ($0.text ?? "") }
        let target = HypothesisTest.tokens((story + observations.map(\.output)).joined(separator: "\n"))
            .subtracting(HypothesisTest.tokens(alertText))
        let words = retrieval.runbooks.map { r in
            HypothesisTest.tokens(([r.title] + sections.filter { $0.documentID == r.documentID }.map(\.content)).joined(separator: "\n"))
        }
        var df: [String: Int] = [:]
        for w in words { for t in w { df[t, default: 0] += 1 } }
        let n = Double(words.count)
        let scores = words.map { w in
            w.intersection(target).filter { (df[$0] ?? 0) < words.count }.reduce(0.0) { $0 + log(1 + n / Double(df[$1] ?? 1)) }
        }
        guard let best = scores.indices.max(by: { scores[$0] < scores[$1] }), best != 0,
              scores[best] >= 1.25 * scores[0] + 1 else { return top }
        return retrieval.runbooks[best]
    }
}
