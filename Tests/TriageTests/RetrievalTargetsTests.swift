import OperatorCLI
import Testing

@Suite("retrieval targets of an eval run")
struct RetrievalTargetsTests {
    typealias F = RetrievalTargets.Figures

    @Test func aRunMeetingEveryTargetHasNoMisses() {
        let hybrid = ["all": F(recallAt1: 0.86, recallAt5: 0.96, mrr: 0.90), "inhouse": F(recallAt1: 0.78, recallAt5: 0.93, mrr: 0.84),
                      "rule": F(recallAt1: 0.93, recallAt5: 0.99, mrr: 0.95)]
        let methods = ["hybrid": hybrid,
                       "e5-whole-doc": ["all": F(recallAt1: 0.51, recallAt5: 0.68, mrr: 0.59), "inhouse": F(recallAt1: 0.42, recallAt5: 0.63, mrr: 0.51)],
                       "bm25-doc": ["all": F(recallAt1: 0.55, recallAt5: 0.79, mrr: 0.66)]]
        #expect(RetrievalTargets.misses(hybrid: hybrid, methods: methods, nothingSimilar: 0.88).isEmpty)
    }

    @Test func eachMissIsNamedWithItsSubsetAndFigures() {
        // The mixed held-out run of 2026-11-30: under recall@1, and under e5-whole-doc on in-house recall@1 and MRR.
        let hybrid = ["all": F(recallAt1: 0.76, recallAt5: 0.97, mrr: 0.84), "inhouse": F(recallAt1: 0.58, recallAt5: 0.95, mrr: 0.71)]
        let methods = ["hybrid": hybrid,
                       "e5-whole-doc": ["all": F(recallAt1: 0.63, recallAt5: 0.92, mrr: 0.77), "inhouse": F(recallAt1: 0.68, recallAt5: 0.84, mrr: 0.75)]]
        let misses = RetrievalTargets.misses(hybrid: hybrid, methods: methods, nothingSimilar: 0.5)
        #expect(misses == ["hybrid recall@1 0.76 < 0.85",
                           "hybrid recall@1 (inhouse) 0.58 below e5-whole-doc 0.68",
                           "hybrid MRR (inhouse) 0.71 below e5-whole-doc 0.75",
                           "nothing similar 0.50 < 0.80"], "\(misses)")
        // A hard wording under 0.90 at recall@5; equal to a baseline is not below it; no baseline run, no comparison.
        let hard = ["all": F(recallAt1: 0.9, recallAt5: 0.96, mrr: 0.9), "symptom": F(recallAt1: 0.7, recallAt5: 0.88, mrr: 0.8)]
        #expect(RetrievalTargets.misses(hybrid: hard, methods: ["bm25-doc": ["symptom": F(recallAt1: 0.7, recallAt5: 0.88, mrr: 0.8)]],
                                        nothingSimilar: nil) == ["hybrid recall@5 (symptom) 0.88 < 0.90"])
    }
}
