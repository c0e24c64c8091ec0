import Foundation
import IncidentLog
import Testing
import Triage

/// The hypothesis test on hand-made candidates: what an output denies is not
/// evidence, and a measured signal decides over words.
@Suite("hypothesis test")
struct HypothesisTestTests {
    static func citation(_ doc: String, _ title: String, section: String = "Root cause", text: String) -> Citation {
        Citation(documentID: doc, title: title, path: "\(doc).md", kind: "postmortem", chunkID: "\(doc)#1", headingPath: section,
                 lineStart: 1, lineEnd: 5, score: 1, vectorRank: nil, textRank: nil, similarity: nil, boosts: [], text: text)
    }

    static let retrieval: RetrievalCompleted = {
        var r = RetrievalCompleted(query: "latency", found: true, reason: nil, model: "m", postmortems: [
            citation("postmortems/pool", "Pool exhausted", text: "The database connection pool was exhausted; hikaricp threads waited."),
            citation("postmortems/hpa", "Autoscaler at its ceiling", text: "The HPA reached maxReplicas; every replica at its CPU limit."),
        ], runbooks: [])
        r.postmortemSections = [citation("postmortems/pool", "Pool exhausted", section: "Signals", text: "- `max(pool_pending)` above 10")]
        return r
    }()

    @Test func whatAnOutputDeniesIsNotWhatItObserved() {
        let denied = HypothesisTest.run(retrieval: Self.retrieval, observations: [
            .init(requestID: "r1", action: "kubectl.logs", output: "request rate tripled; no database connection pool warnings, no hikaricp errors"),
        ], alertText: "payments-api latency")
        #expect(denied.hypotheses.first { $0.cause == "postmortems/pool" }?.score == 0, "\(denied.hypotheses)")
        let seen = HypothesisTest.run(retrieval: Self.retrieval, observations: [
            .init(requestID: "r2", action: "kubectl.top-pods", output: "HPA at maxReplicas, every replica at its CPU limit"),
        ], alertText: "payments-api latency")
        #expect(seen.supported && seen.hypotheses.first?.cause == "postmortems/hpa", "\(seen.because)")
    }

    @Test func aMissedSignalRefutesAndAMetOneSupports() {
        func observed(_ v: Int) -> HypothesisTest.Observation {
            .init(requestID: "s", action: "prometheus.signal",
                  output: #"{"query":"max(pool_pending)","result_type":"vector","series":[{"labels":{},"last":\#(v),"max":\#(v),"min":\#(v),"samples":1}],"series_total":1,"summary":""}"#)
        }
        let met = HypothesisTest.run(retrieval: Self.retrieval, observations: [observed(48)], alertText: "latency")
        #expect(met.supported && met.hypotheses.first?.cause == "postmortems/pool")
        #expect(met.hypotheses.first?.evidenceFor == ["prometheus.signal: max(pool_pending) = 48 (above 10)"])
        let missed = HypothesisTest.run(retrieval: Self.retrieval, observations: [observed(2)], alertText: "latency")
        let pool = missed.hypotheses.first { $0.cause == "postmortems/pool" }
        #expect(pool?.status == .refuted && pool?.evidenceAgainst.first?.contains("= 2, not above 10") == true, "\(String(describing: pool))")
        #expect(HypothesisTest.signals(in: "- `up == 0` below 1\n* `rate(x[5m])` above 0.5\nnot a signal").count == 2)
    }
}
