import Foundation
import OperatorCLI

/// The triage eval's figures: per planner and for the baseline, over all
/// scenarios and per subset (`ambiguous`, `no_runbook`), as a table or one
/// JSON object.
struct TriageReport {
    let results: [String: [(TriageScenario, [TriageTrajectory.Score])]]
    let planners: [String]
    let scenarios: Int
    let repeats: Int

    struct Figures {
        var causeAt1: Double
        var causePassAtK: Double
        var runbookAt1: Double
        var evidenceRecall: Double?
        var forbidden: Int
        var citationValidity: Double?
        var iterationsP50: Double
        var tokensP50: Double
        var tttMsP50: Double?
    }

    static func mean(_ xs: [Double]) -> Double? { xs.isEmpty ? nil : xs.reduce(0, +) / Double(xs.count) }
    static func p50(_ xs: [Double]) -> Double? { xs.isEmpty ? nil : xs.sorted()[xs.count / 2] }
    static func share(_ xs: [Bool]) -> Double { xs.isEmpty ? 0 : Double(xs.filter { $0 }.count) / Double(xs.count) }

    func figures(_ rows: [(TriageScenario, [TriageTrajectory.Score])]) -> Figures {
        let all = rows.flatMap(\.1)
        return Figures(
            causeAt1: Self.share(all.map(\.causeAt1)),
            causePassAtK: Self.share(rows.map { $0.1.contains(where: \.causeAt1) }),
            runbookAt1: Self.share(all.map(\.runbookAt1)),
            evidenceRecall: Self.mean(all.compactMap(\.evidenceRecall)),
            forbidden: all.reduce(0) { $0 + $1.forbidden },
            citationValidity: Self.mean(all.compactMap(\.citationValidity)),
            iterationsP50: Self.p50(all.map { Double($0.iterations) }) ?? 0,
            tokensP50: Self.p50(all.map { Double($0.tokens) }) ?? 0,
            tttMsP50: Self.p50(all.compactMap(\.tttMs)))
    }

    func baseline(_ rows: [(TriageScenario, [TriageTrajectory.Score])]) -> (cause: Double, runbook: Double) {
        let firsts = rows.compactMap(\.1.first)
        return (Self.share(firsts.map(\.baselineCauseAt1)), Self.share(firsts.map(\.baselineRunbookAt1)))
    }

    func rows(_ planner: String, subset: String?) -> [(TriageScenario, [TriageTrajectory.Score])] {
        (results[planner] ?? []).filter { subset == nil || $0.0.subset == subset }
    }

    func table() -> String {
        let subsets: [(String, String?)] = [("all", nil), ("ambiguous", "ambiguous"), ("no_runbook", "no_runbook")]
        var out = ["triage eval: \(scenarios) scenarios\(repeats > 1 ? ", \(repeats) runs each" : "")", ""]
        func f(_ x: Double?) -> String { x.map { String(format: "%.2f", $0) } ?? "  - " }
        for (label, subset) in subsets {
            let n = rows(planners[0], subset: subset).count
            guard n > 0 else { continue }
            out.append("\(label) (\(n))")
            out.append("  planner   cause@1 \(repeats > 1 ? "pass@k " : "")runbook@1 evidence forbidden citations iter p50 tokens p50 ttt p50 ms")
            for p in planners {
                let x = figures(rows(p, subset: subset))
                out.append("  " + p.padding(toLength: 9, withPad: " ", startingAt: 0)
                           + " \(f(x.causeAt1))    \(repeats > 1 ? f(x.causePassAtK) + "   " : "")\(f(x.runbookAt1))      \(f(x.evidenceRecall))     \(String(format: "%5d", x.forbidden))     \(f(x.citationValidity))      \(String(format: "%5.0f", x.iterationsP50))    \(String(format: "%7.0f", x.tokensP50))   \(x.tttMsP50.map { String(format: "%7.0f", $0) } ?? "    -")")
            }
            let b = baseline(rows(planners[0], subset: subset))
            out.append("  baseline  \(f(b.cause))    \(repeats > 1 ? "       " : "")\(f(b.runbook))      (top retrieved postmortem = cause, top runbook = runbook)")
            out.append("")
        }
        return out.joined(separator: "\n")
    }

    func json() -> String {
        func object(_ x: Figures) -> [String: Any] {
            var o: [String: Any] = ["cause_at_1": x.causeAt1, "runbook_at_1": x.runbookAt1, "forbidden": x.forbidden,
                                    "iterations_p50": x.iterationsP50, "tokens_p50": x.tokensP50]
            o["evidence_recall"] = x.evidenceRecall ?? NSNull()
            o["citation_validity"] = x.citationValidity ?? NSNull()
            o["ttt_ms_p50"] = x.tttMsP50 ?? NSNull()
            if repeats > 1 { o["cause_pass_at_k"] = x.causePassAtK }
            return o
        }
        func block(_ subset: String?) -> [String: Any] {
            var planners: [String: Any] = [:]
            for p in self.planners { planners[p] = object(figures(rows(p, subset: subset))) }
            let b = baseline(rows(self.planners[0], subset: subset))
            return ["scenarios": rows(self.planners[0], subset: subset).count, "planners": planners,
                    "baseline": ["cause_at_1": b.cause, "runbook_at_1": b.runbook]]
        }
        var top = block(nil)
        top["subsets"] = ["ambiguous": block("ambiguous"), "no_runbook": block("no_runbook")]
        let data = (try? JSONSerialization.data(withJSONObject: top, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
