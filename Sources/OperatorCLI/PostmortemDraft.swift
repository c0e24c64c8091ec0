import Foundation
import IncidentLog

/// A postmortem draft written from an incident's log (`aiops replay INCIDENT
/// --format markdown`): the handbook's front matter (kind, services, alerts,
/// dates, and the time-to-triage fields `detected_at`, `triaged_at`,
/// `mitigated_at`) and sections built from the events — symptoms, the
/// triage's cause and why, the evidence retrieved, the diagnostics and what
/// they printed, who approved what, what ran, and the timeline. Once a person
/// has edited it and synced it into the handbook, it is evidence for the next
/// similar incident. Every text that came from outside (labels, annotations,
/// command output, documents' titles) is neutralised: no control characters,
/// no way out of its code fence, no front matter key of its own.
public enum PostmortemDraft {
    public static func render(_ state: IncidentState) -> String {
        let events = state.events
        let title = clean(state.title.isEmpty ? state.id : state.title)
        let alerts = state.alerts.values.sorted { ($0.startsAt, $0.fingerprint) < ($1.startsAt, $1.fingerprint) }
        let names = unique(alerts.map(\.alertname) + [state.opened?.labels["alertname"]].compactMap { $0 })
        let services = unique(([state.opened?.service] + alerts.flatMap { [$0.labels["service"], $0.labels["app"]] })
            .compactMap { $0 }.filter { !$0.isEmpty })
        let detected = alerts.map(\.startsAt).min() ?? state.openedAt.map(RFC3339.format)
        let triages = events.compactMap { e -> (IncidentEvent, TriageProposed)? in
            if case .triageProposed(let t) = e.payload { (e, t) } else { nil }
        }
        let triagedAt = triages.first.map { RFC3339.format($0.0.occurredAt) }
        let mitigatedAt = events.first { e in
            guard case .actionExecuted(let x) = e.payload, x.exitStatus == 0, !x.timedOut else { return false }
            return risk(of: x.requestID, in: events) == "destructive"
        }.map { RFC3339.format($0.occurredAt) }
        let date = String((state.openedAt.map(RFC3339.format) ?? detected ?? "0000-00-00").prefix(10))

        var out = "---\n"
        out += "id: \(yaml("postmortems/\(date)-\(slug(title))-\(state.id.suffix(6))"))\n"
        out += "kind: postmortem\n"
        out += "title: \(yaml(title))\n"
        out += "date: \(date)\n"
        out += "services: [\(services.map(yaml).joined(separator: ", "))]\n"
        out += "alerts: [\(names.map(yaml).joined(separator: ", "))]\n"
        if let s = state.opened?.severity { out += "severity: \(yaml(s))\n" }
        if let d = detected { out += "detected_at: \(yaml(d))\n" }
        if let t = triagedAt { out += "triaged_at: \(yaml(t))\n" }
        if let m = mitigatedAt { out += "mitigated_at: \(yaml(m))\n" }
        out += "aiops_incident: \(yaml(state.id))\n"
        out += "---\n\n"
        out += "# \(title)\n\n"
        out += "> Draft written by `aiops replay --format markdown` from the incident log of \(state.id). "
        out += "Check the cause, add what the log cannot know (impact, lessons), then sync it into the handbook.\n\n"

        out += "## Summary\n\n"
        let cause = triages.last?.1.likelyCause?.text
        out += "\(title): \(names.isEmpty ? "no alert" : names.joined(separator: ", ")) on \(services.isEmpty ? "an unnamed service" : services.joined(separator: ", ")), "
        out += "status \(state.status.rawValue)\(state.escalated ? ", escalated to a human" : "")."
        if let cause { out += " Likely cause: \(clean(cause))." }
        out += "\n\n"

        out += "## Symptoms\n\n"
        for a in alerts {
            let labels = a.labels.filter { $0.key != "alertname" }.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            out += "- \(clean(a.alertname)) (\(clean(labels.joined(separator: ", ")))) firing since \(clean(a.startsAt))"
            if let s = a.annotations["summary"] ?? a.annotations["description"] { out += ": \(clean(s))" }
            out += "\n"
        }
        if alerts.isEmpty, let o = state.opened {
            let labels = o.labels.filter { $0.key != "alertname" }.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            out += "- \(clean(o.title)) (\(clean(labels.joined(separator: ", "))))"
            if let s = o.annotations["summary"] ?? o.annotations["description"] { out += ": \(clean(s))" }
            if let d = o.annotations["description"], o.annotations["summary"] != nil { out += " — \(clean(d))" }
            out += "\n"
        }
        out += "\n"

        out += "## Cause\n\n"
        if let (_, t) = triages.last {
            out += "\(clean(t.likelyCause?.text ?? "Not established by the triage."))\n"
            if let why = t.chosenBecause { out += "\nWhy: \(clean(why))\n" }
            for h in t.hypotheses ?? [] {
                out += "- \(clean(h.title)) (\(clean(h.cause))): \(h.status.rawValue)"
                if !h.evidenceFor.isEmpty { out += "; for: \(clean(h.evidenceFor.joined(separator: "; ")))" }
                if !h.evidenceAgainst.isEmpty { out += "; against: \(clean(h.evidenceAgainst.joined(separator: "; ")))" }
                out += "\n"
            }
            if !t.unknowns.isEmpty { out += "\nUnknowns: \(clean(t.unknowns.joined(separator: "; ")))\n" }
        } else {
            out += "No triage was proposed.\n"
        }
        out += "\n"

        out += "## Evidence retrieved\n\n"
        var cited: Set<String> = []
        for r in state.retrievals.keys.sorted().compactMap({ state.retrievals[$0] }) {
            for c in r.postmortems + r.runbooks where cited.insert(c.documentID).inserted {
                out += "- \(clean(c.documentID)): \(clean(c.title))\n"
            }
        }
        if cited.isEmpty { out += "Nothing similar was found in the handbook.\n" }
        out += "\n"

        out += "## Diagnostics and actions\n\n"
        var any = false
        for e in events {
            guard case .actionProposed(let p) = e.payload else { continue }
            any = true
            let params = p.parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            out += "- \(time(e.occurredAt)) \(clean(p.action)) \(clean(params)) — \(clean(p.rationale))\n"
            for o in events {
                switch o.payload {
                case .actionApproved(let a) where a.requestID == e.eventID:
                    out += "  - approved by \(a.approver.kind.rawValue) \(clean(a.approver.name)) at \(time(o.occurredAt))\n"
                case .actionRejected(let r) where r.requestID == e.eventID:
                    out += "  - rejected by \(clean(r.approver.name)) at \(time(o.occurredAt)): \(clean(r.reason))\n"
                case .approvalExpired(let x) where x.requestID == e.eventID:
                    out += "  - the approval expired at \(time(o.occurredAt))\n"
                case .actionFailed(let f) where f.requestID == e.eventID:
                    out += "  - did not run: \(clean(f.error))\n"
                case .actionExecuted(let x) where x.requestID == e.eventID:
                    out += "  - exited \(x.exitStatus) in \(x.durationMs) ms\(x.timedOut ? " (timed out)" : ""):\n\n"
                    out += fenced(String(x.output.prefix(1_500)) + (x.output.count > 1_500 || x.truncated ? "\n…" : ""), indent: "    ")
                    out += "\n"
                default: break
                }
            }
        }
        if !any { out += "None.\n" }
        out += "\n"

        let feedback = events.compactMap { e -> TriageFeedback? in if case .triageFeedback(let f) = e.payload { f } else { nil } }
        if !feedback.isEmpty {
            out += "## Feedback on the triage\n\n"
            for f in feedback {
                out += "- \(clean(f.by.name)): \(f.verdict.rawValue.replacingOccurrences(of: "_", with: " "))"
                if let c = f.rightCause { out += "; the cause was \(clean(c))" }
                if let d = f.rightDocument { out += "; see \(clean(d))" }
                if let n = f.note { out += " — \(clean(n))" }
                out += "\n"
            }
            out += "\n"
        }

        out += "## Timeline (UTC)\n\n"
        for e in events {
            out += "- \(time(e.occurredAt)) — \(e.type) (\(e.producer)): \(clean(Timeline.summary(e)))\n"
        }
        out += "\n## Lessons\n\n- (to be written)\n"
        return out
    }

    /// The risk of the proposal a request answers (the request id is the proposal's event id).
    static func risk(of requestID: String, in events: [IncidentEvent]) -> String? {
        for e in events {
            if case .actionApproved(let a) = e.payload, a.requestID == requestID { return a.risk }
        }
        return nil
    }

    /// One line of untrusted text: no controls, no bidi overrides, no markdown line structure.
    static func clean(_ s: String) -> String {
        DisplayText.terminal(s.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\r", with: " "))
    }

    /// A code block no text can leave: the fence is longer than any backtick run inside.
    static func fenced(_ s: String, indent: String) -> String {
        let body = DisplayText.terminal(s, multiline: true)
        var longest = 0, run = 0
        for c in body { if c == "`" { run += 1; longest = max(longest, run) } else { run = 0 } }
        let fence = String(repeating: "`", count: max(3, longest + 1))
        return indent + fence + "\n" + body.split(separator: "\n", omittingEmptySubsequences: false)
            .map { indent + $0 }.joined(separator: "\n") + "\n" + indent + fence + "\n"
    }

    /// A YAML scalar: a JSON string is a valid double-quoted YAML scalar.
    static func yaml(_ s: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let data = (try? encoder.encode(clean(s))) ?? Data("\"\"".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    static func slug(_ s: String) -> String {
        let lowered = s.lowercased().map { $0.isLetter && $0.isASCII || $0.isNumber && $0.isASCII ? $0 : "-" }
        let collapsed = String(lowered).split(separator: "-").prefix(8).joined(separator: "-")
        return collapsed.isEmpty ? "incident" : String(collapsed.prefix(60))
    }

    static func time(_ d: Date) -> String { String(RFC3339.format(d).dropFirst(11).prefix(8)) }

    static func unique(_ xs: [String]) -> [String] {
        var seen: Set<String> = []
        return xs.filter { seen.insert($0).inserted }
    }
}
