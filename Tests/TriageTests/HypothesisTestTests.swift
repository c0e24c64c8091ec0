import Foundation
import Actions
import IncidentLog
import Testing
@testable import Triage

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

    /// `kubectl describe node` reports every condition, true or false, in CamelCase: a condition reported false is
    /// denied, and `MemoryPressure` is memory pressure to a story that says so in words.
    @Test func aConditionReportedFalseIsDeniedAndCamelCaseIsWords() {
        var r = RetrievalCompleted(query: "node not ready", found: true, reason: nil, model: "m", postmortems: [
            Self.citation("postmortems/disk", "Node lost to a full disk", text: "Container logs filled the disk; kubelet reported DiskPressure."),
            Self.citation("postmortems/oom", "Node lost to the kernel OOM killer", text: "Memory pressure, then the kernel killed kubelet."),
        ], runbooks: [])
        r.postmortemSections = []
        let described = HypothesisTest.run(retrieval: r, observations: [
            .init(requestID: "d", action: "kubectl.describe-node",
                  output: "Conditions: MemoryPressure True (KubeletHasInsufficientMemory), DiskPressure False\nEvents: SystemOOM, victim process: kubelet; kernel OOM killer"),
        ], alertText: "ip-10-4-8-52 NotReady")
        #expect(described.supported && described.hypotheses.first?.cause == "postmortems/oom", "\(described.hypotheses)")
        #expect(described.hypotheses.first { $0.cause == "postmortems/disk" }?.score == 0, "DiskPressure False is not disk pressure")
        #expect(HypothesisTest.affirmed("DiskPressure False, MemoryPressure True").isSuperset(of: ["memorypressure", "memory", "pressure"]))
        #expect(!HypothesisTest.affirmed("DiskPressure False, MemoryPressure True").contains("disk"))
        #expect(HypothesisTest.tokens("OOMKilled CrashLoopBackOff http2Server") ==
                ["oomkill", "oom", "kill", "crashloopbackoff", "crash", "loop", "back", "off", "http2server", "http2", "server"])
        #expect(HypothesisTest.tokens("orders-db") == ["orders-db", "order"], "parts of hyphenated words as before")
        // Inflections are one word: what was deployed is a deploy, evictions are an eviction.
        #expect(HypothesisTest.tokens("deployed deploys deploying evictions status process") == ["deploy", "eviction", "status", "process"])
        // kubectl's columns: the reason and message of a false condition are not observed either.
        let columns = HypothesisTest.affirmed("DiskPressure    False  KubeletHasNoDiskPressure  kubelet has no disk pressure\nMemoryPressure True KubeletHasInsufficientMemory")
        #expect(!columns.contains("disk") && columns.contains("memory") && columns.contains("insufficient"), "\(columns)")
        #expect(!HypothesisTest.affirmed("Ready KubeletHasNoDiskPressure").contains("disk"))
    }

    /// Diagnostics that lean towards one candidate without singling it out: that candidate is the likely cause,
    /// not confirmed; with nothing to lean on, the closest in wording stays.
    @Test func whatTheDiagnosticsLeanTowardsIsTheUnconfirmedCause() {
        // The retrieval's first candidate is the pool; the output says a little more of the autoscaler.
        let leaning = HypothesisTest.run(retrieval: Self.retrieval, observations: [
            .init(requestID: "r", action: "kubectl.top-pods", output: "each replica near the CPU quota; threads normal"),
        ], alertText: "payments-api latency")
        #expect(!leaning.supported)
        #expect(leaning.chosen.map { leaning.hypotheses[$0].cause } == "postmortems/hpa", "\(leaning.because)")
        #expect(leaning.because.contains("lean towards"))
        let nothing = HypothesisTest.run(retrieval: Self.retrieval, observations: [
            .init(requestID: "r", action: "kubectl.top-pods", output: "all quiet"),
        ], alertText: "payments-api latency")
        #expect(!nothing.supported && nothing.chosen.map { nothing.hypotheses[$0].cause } == "postmortems/pool")
    }

    /// A node alert's runbook says `kubectl describe node <node>`: the built-in planner runs the catalog's
    /// describe-node with the node from the alert's `node` label, and nothing from a label that does not validate.
    @Test func aNodeAlertIsDiagnosedWithDescribeNode() throws {
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let catalog = try ActionCatalog.load(yaml: String(contentsOf: repo.appendingPathComponent("examples/actions/catalog.yaml"), encoding: .utf8))
        let section = EvidenceSection(chunkID: "runbooks/kube-node-notready#1", documentID: "runbooks/kube-node-notready", kind: "runbook",
                                      headingPath: "Diagnosis", content: "kubectl describe node <node> (Conditions: MemoryPressure, DiskPressure)")
        let planner = BuiltinPlanner(catalog: catalog)
        let found = planner.candidates(labels: ["alertname": "KubeNodeNotReady", "node": "ip-10-4-8-52"], sections: [section])
        #expect(found.map(\.action) == ["kubectl.describe-node"])
        #expect(found.first?.parameters == ["node": "ip-10-4-8-52"] && found.first?.risk == .readOnly)
        #expect(planner.candidates(labels: ["node": "--kubeconfig=/etc/x"], sections: [section]).isEmpty)
        #expect(planner.candidates(labels: ["instance": "10.0.0.1:9100"], sections: [section]).isEmpty)

        // One restart written in two runbooks is one candidate citing both: whichever runbook the triage follows,
        // the restart is that runbook's own mitigation.
        let restart = "2. A stuck daemon: `kubectl -n aiops rollout restart deploy/<daemon>`"
        let both = [EvidenceSection(chunkID: "runbooks/daemon-down#4", documentID: "runbooks/daemon-down", kind: "runbook",
                                    headingPath: "Mitigation", content: restart),
                    EvidenceSection(chunkID: "runbooks/consumer-stopped#2", documentID: "runbooks/consumer-stopped", kind: "runbook",
                                    headingPath: "Mitigation", content: restart)]
        let restarts = planner.candidates(labels: ["namespace": "aiops", "deployment": "embedder"], sections: both)
        #expect(restarts.map(\.action) == ["kubectl.rollout-restart"])
        #expect(restarts.first?.citations == ["runbooks/daemon-down#4", "runbooks/consumer-stopped#2"])
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
