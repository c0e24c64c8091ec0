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
        "kubectl.rollout-restart": .init(pattern: #"kubectl\b.*\brollout restart\b"#,
                                         parameters: ["namespace": ["namespace"], "deployment": ["deployment", "app", "service"]]),
    ]

    /// Read-only diagnostics of the runbooks one at a time, then the triage with
    /// the runbook's first destructive mitigation, then its other mitigations
    /// one outcome at a time.
    public func plan(_ context: PlanningContext) async throws -> Plan {
        // Parameters come from labels only; annotations are free text and never fill one.
        let candidates = candidates(labels: context.labels, sections: context.sections)
        let proposed = context.proposedKeys
        let fresh = candidates.filter { !proposed.contains(ActionKey.of($0.action, $0.parameters)) }
        if context.diagnosticsAllowed, let next = fresh.first(where: { $0.risk == .readOnly }) {
            return Plan(.propose(next))
        }
        let mitigation = fresh.first { $0.risk == .destructive }
        if !context.triaged {
            var t = triage(retrieval: context.retrieval, sections: context.sections,
                           observations: context.history.map(\.requestID))
            if let why = context.concludeReason { t.unknowns.insert(why, at: 0) }
            return Plan(.triage(t, mitigation: mitigation))
        }
        return Plan(mitigation.map { .propose($0) } ?? .done)
    }

    public func candidates(labels: [String: String], sections: [EvidenceSection]) -> [Candidate] {
        var out: [Candidate] = []
        var seen: Set<String> = []
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
                    guard seen.insert(key).inserted else { continue }
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
    public func triage(retrieval: RetrievalCompleted, sections: [EvidenceSection], observations: [String]) -> TriageProposed {
        var steps: [TriageProposed.Step] = []
        let runbook = retrieval.runbooks.first
        for s in sections where s.documentID == runbook?.documentID && s.kind == "runbook" {
            for line in s.content.split(separator: "\n") {
                let t = line.trimmingCharacters(in: .whitespaces)
                guard let first = t.first, first.isNumber || t.hasPrefix("- ") else { continue }
                steps.append(.init(text: String(t.drop { $0.isNumber || $0 == "." || $0 == "-" || $0 == " " }), citations: [s.chunkID]))
            }
        }
        let pm = retrieval.postmortems.first
        let cause = pm.map {
            TriageProposed.Cause(text: "Resembles \($0.title) (\($0.documentID))",
                                 confidence: min(0.9, max(0.1, (($0.similarity ?? 0.8) - 0.75) * 4)), citations: [$0.chunkID])
        }
        var unknowns: [String] = []
        if retrieval.postmortems.isEmpty { unknowns.append("no similar past incident was found") }
        if retrieval.runbooks.isEmpty { unknowns.append("no runbook matches this alert") }
        if observations.isEmpty { unknowns.append("no diagnostics could be run with the alert's labels") }
        unknowns.append("what changed right before the alert (deploys, config, traffic)")
        return TriageProposed(steps: steps, likelyCause: cause, runbook: runbook?.chunkID, unknowns: unknowns,
                              rejectedSteps: [], observations: observations)
    }
}
