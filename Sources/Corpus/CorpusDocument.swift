import BoundedYAML
import Crypto
import Foundation
import Yams

/// One parsed handbook document.
public struct CorpusDocument: Sendable, Hashable {
    public var id: String
    /// Path relative to the corpus root, with `/` separators.
    public var path: String
    public var kind: DocumentKind
    public var title: String
    public var date: String?
    public var services: [String]
    public var alerts: [String]
    public var severity: String?
    public var incidentType: String?
    /// Postmortems: when people detected, triaged and mitigated it (front matter; RFC 3339).
    public var detectedAt: String? = nil
    public var triagedAt: String? = nil
    public var mitigatedAt: String? = nil
    /// The markdown after the front matter.
    public var body: String
    /// Line number (1-based) of the body's first line in the file.
    public var bodyStartLine: Int
    /// SHA-256 of the whole file.
    public var contentHash: String

    /// What the document's title embedding is made of: the title, and the file's name as words when it
    /// says something else (`KubePodCrashLooping.md` → "Kube Pod Crash Looping"). Handbooks without front
    /// matter often name a runbook after its alert: this is how the alert name finds it.
    public var titleText: String { Self.titleText(title: title, path: path) }

    public static func titleText(title: String, path: String) -> String {
        let base = (path.split(separator: "/").last.map(String.init) ?? path).replacingOccurrences(of: ".md", with: "")
        let spaced = IdentifierWords.spaced(base)
        let name = ["readme", "index"].contains(spaced.lowercased()) ? "" : spaced
        return name.isEmpty || title.lowercased().contains(name.lowercased()) ? title : "\(title) (\(name))"
    }

    /// Parses a file. Warnings are returned; a broken file throws with its line.
    public static func parse(path: String, text: String) throws(CorpusError) -> (CorpusDocument, [String]) {
        var warnings: [String] = []
        var front = FrontMatter()
        var body = text
        var bodyStart = 1
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.first?.trimmingCharacters(in: .whitespaces) == "---" {
            guard let end = lines.dropFirst().firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == "---" }) else {
                throw CorpusError(path: path, line: 1, problem: "front matter starts with --- but never ends")
            }
            let yaml = lines[1..<end].joined(separator: "\n")
            do {
                if !yaml.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                    front = try BoundedYAML.decode(FrontMatter.self, from: yaml, limits: .untrusted)
                }
            } catch {
                throw yamlError(error, path: path, lineOffset: 1)
            }
            body = lines[(end + 1)...].joined(separator: "\n")
            bodyStart = end + 2
        } else if lines.first?.trimmingCharacters(in: .whitespaces) == "+++",
                  let end = lines.dropFirst().firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == "+++" }) {
            // A static site's TOML front matter (Hugo): not ours, but its title is the page's, and it is not text.
            front.title = lines[1..<end].lazy.compactMap(Self.tomlTitle).first
            body = lines[(end + 1)...].joined(separator: "\n")
            bodyStart = end + 2
            warnings.append("\(path): TOML front matter (only its title is read); kind inferred from the path")
        } else {
            warnings.append("\(path): no front matter; kind inferred from the path")
        }
        var kind = front.kind ?? inferKind(path: path)
        if front.kind == nil && kind == .other {
            if let bySections = kindBySections(body) {
                kind = bySections
                warnings.append("\(path): kind \(bySections.rawValue) inferred from its section headings")
            } else {
                warnings.append("\(path): cannot tell the kind from the path; indexed as other")
            }
        }
        let title = front.title ?? firstHeading(body) ?? URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        let id: String
        if let given = front.id {
            guard isValidID(given) else {
                throw CorpusError(path: path, line: 2, problem: "id \"\(given)\" must match [a-z0-9][a-z0-9._/-]*")
            }
            id = given
        } else {
            id = derivedID(path: path)
        }
        var doc = CorpusDocument(
            id: id, path: path, kind: kind, title: title, date: front.date, services: front.services ?? [],
            alerts: front.alerts ?? sectionAlerts(body), severity: front.severity, incidentType: front.incidentType, body: body,
            bodyStartLine: bodyStart, contentHash: sha256Hex(text))
        doc.detectedAt = front.detectedAt
        doc.triagedAt = front.triagedAt
        doc.mitigatedAt = front.mitigatedAt
        return (doc, warnings)
    }

    static func inferKind(path: String) -> DocumentKind {
        // The outermost folder that names a kind decides: runbooks/db/incidents/x.md is a runbook.
        let parts = path.lowercased().split(separator: "/").dropLast()
        for p in parts {
            switch p {
            case "postmortems", "postmortem", "incidents", "post-mortems": return .postmortem
            // `alerts/<component>/<AlertName>.md` is how OpenShift's runbook collection is laid out.
            case "runbooks", "runbook", "playbooks", "alerts": return .runbook
            case "adr", "adrs", "decisions": return .adr
            case "weekly", "weekly-logs", "weekly-log", "weeklies", "logs": return .weeklyLog
            default: continue
            }
        }
        return .other
    }

    /// The kind a page's section headings (levels 2 and 3, outside code fences) show, for a page whose path names
    /// none, so a handbook synced as it is published (`docs/`, `content/`, a year per folder) is indexed by kind,
    /// not as `other`. A timeline with a cause, impact or lessons is an incident's story; two of the sections runbook
    /// collections give each alert (Meaning, Impact, Diagnosis, Mitigation, Resolution, Remediation) and no timeline
    /// make a runbook. A heading counts by how it starts ("Timeline (UTC)", "Root cause analysis").
    static func kindBySections(_ body: String) -> DocumentKind? {
        let headings = MarkdownHeadings(body.split(separator: "\n", omittingEmptySubsequences: false)).headings
        let titles = headings.values.filter { (2...3).contains($0.level) }.map {
            $0.title.lowercased().trimmingCharacters(in: CharacterSet.letters.inverted)
        }
        func count(_ names: [String]) -> Int { names.filter { name in titles.contains { $0.hasPrefix(name) } }.count }
        let timeline = count(["timeline"]) > 0
        if timeline && count(["root cause", "cause", "impact", "lessons", "what went wrong", "contributing factors"]) > 0 {
            return .postmortem
        }
        if !timeline && count(["meaning", "impact", "diagnosis", "mitigation", "resolution", "remediation"]) >= 2 {
            return .runbook
        }
        return nil
    }

    /// `title = "Kube Node Not Ready"` → `Kube Node Not Ready` (a basic TOML string on one line).
    static func tomlTitle(_ line: Substring) -> String? {
        let parts = line.split(separator: "=", maxSplits: 1)
        guard parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == "title" else { return nil }
        let value = parts[1].trimmingCharacters(in: .whitespaces)
        guard value.count >= 2, let q = value.first, q == "\"" || q == "'", value.last == q else { return nil }
        let title = String(value.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
        return title.isEmpty ? nil : title
    }

    /// The first H1 outside fenced code (ATX or setext): a `# cd /var/log` in a shell block is a comment, not a title.
    static func firstHeading(_ body: String) -> String? {
        let headings = MarkdownHeadings(body.split(separator: "\n", omittingEmptySubsequences: false)).headings
        return headings.filter { $0.value.level == 1 }.min { $0.key < $1.key }?.value.title
    }

    /// The alerts a page without front matter holds a section for: its level 2–4 headings that are an alert's name
    /// (`## ThanosCompactHalted`, `### CortexIngesterUnhealthy`, `` ## `KubePodCrashLooping` ``). Playbooks are often
    /// one file with a section per alert (the Thanos, Cortex and Mimir mixins'; one section under several stacked
    /// names). A name is one identifier of at least two words (`IdentifierWords`): `Diagnosis`, `Mitigation` or
    /// `Access Required` are not. At most `maxSectionAlerts`, in the page's order.
    static func sectionAlerts(_ body: String) -> [String] {
        let headings = MarkdownHeadings(body.split(separator: "\n", omittingEmptySubsequences: false)).headings
        var out: [String] = []
        for (_, h) in headings.sorted(by: { $0.key < $1.key }) where (2...4).contains(h.level) {
            var name = Substring(h.title)
            if name.hasPrefix("`") && name.hasSuffix("`") && name.count > 2 { name = name.dropFirst().dropLast() }
            if name.hasSuffix(":") { name = name.dropLast() }
            let candidate = String(name)
            guard isAlertName(candidate), !out.contains(candidate) else { continue }
            out.append(candidate)
            if out.count == maxSectionAlerts { break }
        }
        return out
    }

    static let maxSectionAlerts = 200

    /// An identifier as alert rules name alerts (a letter, then letters, digits or `_`; at most 128) that reads as two
    /// words or more: `ThanosCompactIsDown`, `PostgreSQL_ReplicationLagTooLarge`, `walgBackupDelayed`.
    static func isAlertName(_ s: String) -> Bool {
        guard (3...128).contains(s.count), let first = s.unicodeScalars.first, first.isASCIILetter,
              s.unicodeScalars.allSatisfy({ $0.isASCIILetter || ("0"..."9").contains($0) || $0 == "_" }) else { return false }
        return IdentifierWords.spaced(s).split(separator: " ").count >= 2
    }

    /// `postmortems/2025-03-14-db-pool.md` → `postmortems/2025-03-14-db-pool`.
    public static func derivedID(path: String) -> String {
        var p = path.lowercased()
        if let dot = p.lastIndex(of: "."), !p[dot...].contains("/") { p = String(p[..<dot]) }
        let mapped = p.unicodeScalars.map { c -> Character in
            ("a"..."z").contains(c) || ("0"..."9").contains(c) || c == "/" || c == "." || c == "-" || c == "_"
                ? Character(c) : "-"
        }
        var s = String(mapped)
        while s.hasPrefix("-") || s.hasPrefix("/") || s.hasPrefix(".") { s.removeFirst() }
        return s.isEmpty ? "doc" : s
    }

    static func isValidID(_ id: String) -> Bool {
        guard let first = id.unicodeScalars.first, ("a"..."z").contains(first) || ("0"..."9").contains(first) else { return false }
        return id.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "." || $0 == "_" || $0 == "/" || $0 == "-"
        }
    }
}

public func sha256Hex(_ text: String) -> String {
    SHA256.hash(data: Array(text.utf8)).map { b in b < 16 ? "0" + String(b, radix: 16) : String(b, radix: 16) }.joined()
}

/// Turns a Yams error into a CorpusError with the line in the file.
func yamlError(_ error: Error, path: String, lineOffset: Int) -> CorpusError {
    if let limit = error as? YAMLLimitError {
        return CorpusError(path: path, line: limit.line.map { $0 + lineOffset },
                           problem: "front matter over the \(limit.limit) limit: \(limit.message)")
    }
    var underlying: Error = error
    if case DecodingError.dataCorrupted(let ctx) = error, let u = ctx.underlyingError { underlying = u }
    if let y = underlying as? YamlError {
        let first = "\(y)".split(separator: "\n").first.map(String.init) ?? "\(y)"
        let parts = first.split(separator: ":", maxSplits: 2)
        if parts.count == 3, let line = Int(parts[0]) {
            return CorpusError(path: path, line: line + lineOffset,
                               problem: "broken YAML front matter:\(parts[2])")
        }
        return CorpusError(path: path, line: nil, problem: "broken YAML front matter: \(first)")
    }
    if let d = error as? DecodingError {
        switch d {
        case .typeMismatch(_, let ctx), .valueNotFound(_, let ctx), .dataCorrupted(let ctx):
            let field = ctx.codingPath.map(\.stringValue).joined(separator: ".")
            return CorpusError(path: path, line: nil, problem: "front matter field \(field): \(ctx.debugDescription)")
        case .keyNotFound(let key, _):
            return CorpusError(path: path, line: nil, problem: "front matter misses \(key.stringValue)")
        @unknown default: break
        }
    }
    return CorpusError(path: path, line: nil, problem: "front matter: \(error)")
}

extension Unicode.Scalar {
    fileprivate var isASCIILetter: Bool { ("a"..."z").contains(self) || ("A"..."Z").contains(self) }
}
