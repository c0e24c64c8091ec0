import Corpus
import Foundation
import IncidentLog

/// Time to triage with aiops against the team's own record: per service and
/// incident type, the incidents on the log (opened → triaged, alert start →
/// triaged, → first human decision, → mitigation that ran) next to the
/// handbook's postmortems (detected_at → triaged_at, → mitigated_at, from their
/// front matter). An incident's type is the one of the past incident its
/// triage chose (its cause), else `unknown`.
public struct MTTTReport: Sendable {
    public struct Row: Sendable, Equatable {
        public var service: String
        public var type: String
        public var incidents = 0
        public var triage: [Double] = []          // opened → triaged, seconds
        public var triageFromStart: [Double] = [] // alert startsAt → triaged
        public var decision: [Double] = []
        public var mitigation: [Double] = []
        public var postmortems = 0
        public var baselineTriage: [Double] = []  // detected_at → triaged_at
        public var baselineMitigation: [Double] = []
    }

    public private(set) var rows: [Row]
    /// The postmortems with a baseline, each once (a row counts it under every service it names).
    public private(set) var baseline: Row = Row(service: "all", type: "")

    public init(states: [IncidentState], postmortems: [CorpusDocument]) {
        var byKey: [String: Row] = [:]
        func key(_ s: String, _ t: String) -> String { s + "|" + t }
        let types = Dictionary(postmortems.map { ($0.id, $0.incidentType ?? "unknown") }) { a, _ in a }
        for p in postmortems where p.kind == .postmortem {
            guard let d = p.detectedAt.flatMap(RFC3339.parse) else { continue }
            baseline.postmortems += 1
            if let t = p.triagedAt.flatMap(RFC3339.parse) { baseline.baselineTriage.append(t.timeIntervalSince(d)) }
            if let m = p.mitigatedAt.flatMap(RFC3339.parse) { baseline.baselineMitigation.append(m.timeIntervalSince(d)) }
            for service in p.services.isEmpty ? ["(none)"] : p.services {
                var r = byKey[key(service, types[p.id]!)] ?? Row(service: service, type: types[p.id]!)
                r.postmortems += 1
                if let t = p.triagedAt.flatMap(RFC3339.parse) { r.baselineTriage.append(t.timeIntervalSince(d)) }
                if let m = p.mitigatedAt.flatMap(RFC3339.parse) { r.baselineMitigation.append(m.timeIntervalSince(d)) }
                byKey[key(service, r.type)] = r
            }
        }
        for state in states {
            var clock = IncidentMilestones()
            var reached: [IncidentMilestones.Milestone: IncidentMilestones.Reached] = [:]
            for e in state.events { for r in clock.apply(e) { reached[r.milestone] = reached[r.milestone] ?? r } }
            let service = state.opened?.service ?? state.opened?.labels["service"] ?? state.alerts.values.compactMap { $0.labels["service"] }.first
                ?? "(none)"
            let cause = state.events.compactMap { e -> String? in
                guard case .triageProposed(let t) = e.payload else { return nil }
                return t.hypotheses?.first { $0.status == .supported }?.cause ?? t.likelyCause?.citations.first
            }.first
            let type = cause.flatMap { c in types[Citation.documentID(ofChunk: c)] } ?? "unknown"
            var r = byKey[key(service, type)] ?? Row(service: service, type: type)
            r.incidents += 1
            if let t = reached[.triaged] {
                r.triage.append(t.sinceOpened)
                if let s = t.sinceStart { r.triageFromStart.append(s) }
            }
            if let d = reached[.decided] { r.decision.append(d.sinceOpened) }
            if let m = reached[.mitigated] { r.mitigation.append(m.sinceOpened) }
            byKey[key(service, type)] = r
        }
        rows = byKey.values.sorted { ($0.service, $0.type) < ($1.service, $1.type) }
    }

    public static func median(_ xs: [Double]) -> Double? {
        guard !xs.isEmpty else { return nil }
        let s = xs.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    static func duration(_ x: Double?) -> String {
        guard let x else { return "-" }
        if x < 1 { return String(format: "%.0f ms", x * 1000) }
        if x < 120 { return String(format: "%.1f s", x) }
        if x < 7200 { return String(format: "%.0f min", x / 60) }
        return String(format: "%.1f h", x / 3600)
    }

    /// The rows with incidents on the log (`all`: also those with postmortems only), medians side by side.
    public func table(all: Bool = false) -> String {
        var out = "SERVICE              TYPE            AIOPS: N  TRIAGE p50 (from alert start)  DECISION p50  MITIGATION p50 | POSTMORTEMS: N  TRIAGE p50  MITIGATION p50\n"
        for r in rows where all || r.incidents > 0 {
            out += r.service.padding(toLength: 20, withPad: " ", startingAt: 0) + " "
            out += r.type.padding(toLength: 15, withPad: " ", startingAt: 0) + " "
            out += String(r.incidents).padding(toLength: 9, withPad: " ", startingAt: 0) + " "
            out += "\(Self.duration(Self.median(r.triage))) (\(Self.duration(Self.median(r.triageFromStart))))"
                .padding(toLength: 30, withPad: " ", startingAt: 0) + " "
            out += Self.duration(Self.median(r.decision)).padding(toLength: 13, withPad: " ", startingAt: 0) + " "
            out += Self.duration(Self.median(r.mitigation)).padding(toLength: 14, withPad: " ", startingAt: 0) + " | "
            out += String(r.postmortems).padding(toLength: 15, withPad: " ", startingAt: 0) + " "
            out += Self.duration(Self.median(r.baselineTriage)).padding(toLength: 11, withPad: " ", startingAt: 0) + " "
            out += Self.duration(Self.median(r.baselineMitigation)) + "\n"
        }
        var all = rows.reduce(into: Row(service: "all", type: "")) { a, r in
            a.incidents += r.incidents; a.triage += r.triage; a.triageFromStart += r.triageFromStart; a.decision += r.decision
            a.mitigation += r.mitigation
        }
        all.postmortems = baseline.postmortems
        all.baselineTriage = baseline.baselineTriage
        all.baselineMitigation = baseline.baselineMitigation
        out += "all: aiops triaged \(all.triage.count) of \(all.incidents) incident(s), p50 \(Self.duration(Self.median(all.triage))) from receipt "
        out += "(\(Self.duration(Self.median(all.triageFromStart))) from the alert's start); the postmortems' people p50 "
        out += "\(Self.duration(Self.median(all.baselineTriage))) to triage, \(Self.duration(Self.median(all.baselineMitigation))) to mitigate (\(all.postmortems) postmortem(s))\n"
        return out
    }

    /// One object: rows with medians in seconds.
    public var json: [[String: Any]] {
        rows.map { r in
            var o: [String: Any] = ["service": r.service, "type": r.type, "incidents": r.incidents, "postmortems": r.postmortems]
            for (k, xs) in [("triage_s_p50", r.triage), ("triage_from_start_s_p50", r.triageFromStart), ("decision_s_p50", r.decision),
                            ("mitigation_s_p50", r.mitigation), ("baseline_triage_s_p50", r.baselineTriage),
                            ("baseline_mitigation_s_p50", r.baselineMitigation)] {
                if let m = Self.median(xs) { o[k] = m }
            }
            return o
        }
    }
}
