import Foundation
import OperatorCLI

/// One case's ranked documents per method (mode, pipeline, baseline).
struct EvalScore {
    var `case`: RetrievalCase
    var ranked: [String: [String]]

    func rank(_ method: String) -> Int? {
        guard let list = ranked[method] else { return nil }
        return list.firstIndex { self.case.expect.contains($0) }.map { $0 + 1 }
    }
}

/// The figures of a retrieval eval: per set (runbooks, postmortems), per method, over all cases and per wording.
struct EvalReport {
    static let methods = ["hybrid", "pipeline", "vector", "text", "e5-whole-doc", "bm25-doc"]
    let scores: [EvalScore]
    let documents: Int

    struct Figures: Encodable { var n: Int; var recall_at_1: Double; var recall_at_5: Double; var mrr: Double }

    static func figures(_ ranks: [Int?]) -> Figures {
        let n = Double(max(1, ranks.count))
        return Figures(n: ranks.count,
                       recall_at_1: Double(ranks.filter { $0 == 1 }.count) / n,
                       recall_at_5: Double(ranks.filter { ($0 ?? 99) <= 5 }.count) / n,
                       mrr: ranks.reduce(0.0) { $0 + ($1.map { 1.0 / Double($0) } ?? 0) } / n)
    }

    var sets: [String] { Array(Set(scores.map { $0.case.set ?? "any" })).sorted() }

    func covered(_ set: String) -> [EvalScore] { scores.filter { ($0.case.set ?? "any") == set && !$0.case.expect.isEmpty } }
    func uncovered(_ set: String) -> [EvalScore] { scores.filter { ($0.case.set ?? "any") == set && $0.case.expect.isEmpty } }
    func wordings(_ set: String) -> [String] { Array(Set(covered(set).map(\.case.wording))).sorted() }

    /// `runbooks/gitlab/redis/redis` → `gitlab`; nil for a document directly under its set's folder.
    static func folder(_ documentID: String) -> String? {
        let parts = documentID.split(separator: "/")
        return parts.count > 2 ? String(parts[1]) : nil
    }

    /// Per source folder of the expected document: method → `all` or wording → figures.
    func folderFigures(_ set: String) -> [String: [String: [String: Figures]]] {
        var out: [String: [String: [String: Figures]]] = [:]
        let cases = covered(set)
        for folder in Set(cases.compactMap { Self.folder($0.case.expect[0]) }) {
            let inFolder = cases.filter { Self.folder($0.case.expect[0]) == folder }
            for m in Self.methods where inFolder.contains(where: { $0.ranked[m] != nil }) {
                var byWording = ["all": Self.figures(inFolder.map { $0.rank(m) })]
                for w in wordings(set) where inFolder.contains(where: { $0.case.wording == w }) {
                    byWording[w] = Self.figures(inFolder.filter { $0.case.wording == w }.map { $0.rank(m) })
                }
                out[folder, default: [:]][m] = byWording
            }
        }
        return out
    }

    /// Share of cases with no expected document for which the pipeline returned nothing.
    func nothingSimilar(_ set: String) -> Double? {
        let u = uncovered(set)
        guard !u.isEmpty else { return nil }
        return Double(u.filter { ($0.ranked["pipeline"] ?? []).isEmpty }.count) / Double(u.count)
    }

    func print(verbose: Bool) {
        Terminal.say("retrieval eval: \(scores.count) cases, \(documents) documents indexed")
        for set in sets {
            let cases = covered(set)
            guard !cases.isEmpty || !uncovered(set).isEmpty else { continue }
            let groups = [("all", cases)] + wordings(set).map { w in (w, cases.filter { $0.case.wording == w }) }
            Terminal.say("\n\(set): " + groups.map { "\($0.0) \($0.1.count)" }.joined(separator: ", "))
            Terminal.say("method        " + groups.map { "| \($0.0.padding(toLength: 21, withPad: " ", startingAt: 0))" }.joined())
            Terminal.say("              " + groups.map { _ in "|  R@1   R@5   MRR   " }.joined())
            for m in Self.methods where cases.contains(where: { $0.ranked[m] != nil }) {
                var line = m.padding(toLength: 14, withPad: " ", startingAt: 0)
                for (_, g) in groups {
                    let f = Self.figures(g.map { $0.rank(m) })
                    line += String(format: "| %.2f  %.2f  %.2f  ", f.recall_at_1, f.recall_at_5, f.mrr)
                }
                Terminal.say(line)
            }
            // Per source handbook (the expected document's folder under the set): a one-file-per-alert collection
            // and a handbook of hub pages behave differently, and the average hides which is which.
            let folders = folderFigures(set)
            if folders.count > 1 {
                for (folder, methods) in folders.sorted(by: { $0.key < $1.key }) {
                    for m in ["hybrid", "e5-whole-doc", "bm25-doc"] {
                        guard let byWording = methods[m] else { continue }
                        let parts = ["all"] + wordings(set).filter { byWording[$0] != nil }
                        Terminal.say("  \(folder) \(m): " + parts.map { name in
                            let f = byWording[name]!
                            return String(format: "%@ %d %.2f/%.2f/%.2f", name, f.n, f.recall_at_1, f.recall_at_5, f.mrr)
                        }.joined(separator: " | "))
                    }
                }
            }
            if let ns = nothingSimilar(set) {
                Terminal.say(String(format: "nothing similar (pipeline) for %d uncovered alerts: %.2f", uncovered(set).count, ns))
            }
            let misses = targetMisses(set)
            Terminal.say(misses.isEmpty ? "targets: met" : "targets: NOT met: " + misses.joined(separator: "; "))
            if verbose {
                for s in cases where (s.rank("hybrid") ?? 99) > 1 || (s.rank("pipeline") ?? 99) > 5 {
                    let ranks = Self.methods.compactMap { m in s.ranked[m] == nil ? nil : "\(m) \(s.rank(m).map(String.init) ?? "-")" }
                    Terminal.say("  miss [\(s.case.wording)] \(s.case.name): expected \(s.case.expect[0]) (rank: \(ranks.joined(separator: ", "))); "
                                 + "got \((s.ranked["hybrid"] ?? []).prefix(3))")
                }
                for s in uncovered(set) where !(s.ranked["pipeline"] ?? []).isEmpty {
                    Terminal.say("  found for uncovered \(s.case.name): \((s.ranked["pipeline"] ?? []).prefix(3))")
                }
            }
        }
    }

    /// The issue's targets on one set (RetrievalTargets): hybrid recall, hard wordings, never below a baseline,
    /// "nothing similar".
    func targetMisses(_ set: String) -> [String] {
        let cases = covered(set)
        // Only the methods this run has (no baselines with --no-baselines).
        let methods = methodFigures(set).filter { m, _ in cases.contains { $0.ranked[m] != nil } }.mapValues { byWording in
            byWording.mapValues { RetrievalTargets.Figures(recallAt1: $0.recall_at_1, recallAt5: $0.recall_at_5, mrr: $0.mrr) }
        }
        guard let hybrid = methods["hybrid"] else { return [] }
        return RetrievalTargets.misses(hybrid: hybrid, methods: methods, nothingSimilar: nothingSimilar(set))
    }

    /// Per method, the figures over all of a set's covered cases (`all`) and per wording.
    func methodFigures(_ set: String) -> [String: [String: Figures]] {
        let cases = covered(set)
        var methods: [String: [String: Figures]] = [:]
        for m in Self.methods {
            var byWording = ["all": Self.figures(cases.map { $0.rank(m) })]
            for w in wordings(set) { byWording[w] = Self.figures(cases.filter { $0.case.wording == w }.map { $0.rank(m) }) }
            methods[m] = byWording
        }
        return methods
    }

    func json() -> String {
        struct SetReport: Encodable {
            /// What misses the issue's targets (RetrievalTargets); empty when all hold.
            var target_misses: [String]
            var methods: [String: [String: Figures]]
            /// Per source folder of the expected document, method → wording (or `all`) → figures.
            var folders: [String: [String: [String: Figures]]]
            var nothing_similar: Double?
            var uncovered: Int
        }
        var out: [String: SetReport] = [:]
        for set in sets {
            out[set] = SetReport(target_misses: targetMisses(set), methods: methodFigures(set), folders: folderFigures(set),
                                 nothing_similar: nothingSimilar(set),
                                 uncovered: uncovered(set).count)
        }
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        return String(decoding: (try? enc.encode(out)) ?? Data(), as: UTF8.self)
    }
}
