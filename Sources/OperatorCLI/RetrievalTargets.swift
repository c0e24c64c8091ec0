/// The retrieval targets of issue 10, checked on one set (runbooks, postmortems) of an eval's figures: what
/// `aiops eval retrieval` prints as "targets" so a run says at a glance whether it holds, and where not.
public enum RetrievalTargets {
    /// Recall@1, recall@5 and MRR of one method on one subset.
    public struct Figures: Sendable, Equatable {
        public var recallAt1: Double
        public var recallAt5: Double
        public var mrr: Double
        public init(recallAt1: Double, recallAt5: Double, mrr: Double) {
            self.recallAt1 = recallAt1; self.recallAt5 = recallAt5; self.mrr = mrr
        }
    }

    public static let minRecallAt1 = 0.85
    public static let minRecallAt5 = 0.95
    /// Recall@5 on wordings that match no document's name or words (in-house names, symptoms only).
    public static let minHardRecallAt5 = 0.90
    public static let hardWordings: Set<String> = ["inhouse", "symptom", "unlike"]
    public static let minNothingSimilar = 0.80
    public static let baselines = ["e5-whole-doc", "bm25-doc"]

    /// What misses a target, one line each; empty when every target holds. `hybrid` and each baseline's figures are
    /// keyed by subset (`all` and each wording); a baseline missing from `methods` (`--no-baselines`) is not compared.
    public static func misses(hybrid: [String: Figures], methods: [String: [String: Figures]], nothingSimilar: Double?)
        -> [String] {
        var out: [String] = []
        func check(_ value: Double, _ min: Double, _ what: String) {
            if value + 1e-9 < min { out.append(String(format: "%@ %.2f < %.2f", what, value, min)) }
        }
        if let all = hybrid["all"] {
            check(all.recallAt1, minRecallAt1, "hybrid recall@1")
            check(all.recallAt5, minRecallAt5, "hybrid recall@5")
        }
        for (subset, f) in hybrid.sorted(by: { $0.key < $1.key }) where hardWordings.contains(subset) {
            check(f.recallAt5, minHardRecallAt5, "hybrid recall@5 (\(subset))")
        }
        for baseline in baselines {
            guard let figures = methods[baseline] else { continue }
            for (subset, b) in figures.sorted(by: { $0.key < $1.key }) {
                guard let h = hybrid[subset] else { continue }
                for (name, hv, bv) in [("recall@1", h.recallAt1, b.recallAt1), ("recall@5", h.recallAt5, b.recallAt5),
                                       ("MRR", h.mrr, b.mrr)] where hv + 1e-9 < bv {
                    out.append(String(format: "hybrid %@ (%@) %.2f below %@ %.2f", name, subset, hv, baseline, bv))
                }
            }
        }
        if let nothingSimilar { check(nothingSimilar, minNothingSimilar, "nothing similar") }
        return out
    }
}
