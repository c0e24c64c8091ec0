import Foundation

/// The runbook an alert names itself: the `runbook_url` annotation that the
/// monitoring mixins require on every rule (or `runbook`, `playbook`, …), as
/// a URL (`https://runbooks.example.dev/runbooks/kubernetes/kubepodcrashlooping`,
/// a GitHub `blob/…/KubePodCrashLooping.md` link) or a path relative to a
/// handbook (`docs/redis/clear_anonymous_sessions.md`).
///
/// The handbook indexed here is usually a copy of the one the link points
/// into, at another place: a link matches a document when the ends of their
/// paths agree, compared as names are (lowercase letters and digits; the file
/// extension, and a trailing `README`/`index`, left out). Of several documents
/// matching, only those agreeing on the most trailing segments count. A
/// fragment (`playbooks.md#cortexingesterunhealthy`,
/// `runbook.md#alert-name-kubepodcrashlooping`) names the document it ends with
/// (handbooks often split a playbook per alert); it gives way to a path that
/// agrees on a folder and a file, and wins over one that agrees on a file name
/// alone.
///
/// Untrusted annotation text: it only ever becomes a value compared with paths.
public struct RunbookLink: Sendable, Hashable {
    /// Normalized path segments, README/index left out; never empty.
    public let segments: [String]
    /// The normalized fragment, if any.
    public let fragment: String?

    /// Annotation keys that carry a runbook link: any with "runbook" or "playbook" in its name.
    public static func links(in annotations: [String: String]) -> [RunbookLink] {
        let keys = annotations.keys.filter { k in
            let k = k.lowercased()
            return k.contains("runbook") || k.contains("playbook")
        }.sorted()
        var out: [RunbookLink] = []
        for k in keys {
            guard let value = annotations[k], let link = RunbookLink(value), !out.contains(link) else { continue }
            out.append(link)
            if out.count == 4 { break }
        }
        return out
    }

    public init?(_ raw: String) {
        let value = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !value.isEmpty, value.count <= 2_048, !value.contains(where: \.isWhitespace) else { return nil }
        var path = value
        var fragment: String?
        if let c = URLComponents(string: value), c.scheme != nil {
            guard ["http", "https"].contains(c.scheme?.lowercased() ?? "") else { return nil }
            path = c.path
            fragment = c.fragment
        } else {
            if let hash = path.firstIndex(of: "#") {
                fragment = String(path[path.index(after: hash)...])
                path = String(path[..<hash])
            }
            if let query = path.firstIndex(of: "?") { path = String(path[..<query]) }
        }
        let segments = Self.nameSegments(path)
        let f = fragment.map(DocumentName.key).flatMap { $0.isEmpty ? nil : $0 }
        guard !segments.isEmpty else { return nil }
        self.segments = segments
        self.fragment = f
    }

    /// The names a document must have (its file name, or its folder's for a README) to be looked up: the link's
    /// last segment, and its fragment and every ending of it long enough to name a document.
    public var keys: [String] {
        var out = [segments.last!]
        if let fragment {
            let chars = Array(fragment.prefix(128))
            out.append(String(chars))
            if chars.count > Self.minimumFragmentSuffix {
                for start in 1...(chars.count - Self.minimumFragmentSuffix) { out.append(String(chars[start...])) }
            }
        }
        return out
    }

    /// How many trailing segments of `path` agree with the link's path (0: it does not name that document).
    public func pathAgreement(_ path: String) -> Int {
        let doc = Self.nameSegments(path)
        var n = 0
        while n < min(doc.count, segments.count), doc[doc.count - 1 - n] == segments[segments.count - 1 - n] { n += 1 }
        return n
    }

    /// Shortest document name a fragment may name by ending with it (`alert-name-kubepodcrashlooping`).
    public static let minimumFragmentSuffix = 8

    /// Whether `path` is the document the fragment names: the fragment is its name, or ends with a name that is
    /// not too short to mean something.
    public func fragmentNames(_ path: String) -> Bool {
        guard let fragment, let name = Self.nameSegments(path).last else { return false }
        return fragment == name || (name.count >= Self.minimumFragmentSuffix && fragment.hasSuffix(name))
    }

    static let extensions: Set<String> = ["md", "markdown", "html", "htm", "adoc", "asciidoc", "rst", "txt"]
    static let folderPages: Set<String> = ["readme", "index", "_index"]

    /// `runbooks/Redis/clear_anonymous_sessions.md` → runbooks, redis, clearanonymoussessions;
    /// `docs/gitaly/README.md` → docs, gitaly.
    static func nameSegments(_ path: String) -> [String] {
        rawNameSegments(path).map(DocumentName.key).filter { !$0.isEmpty }
    }

    /// `nameSegments` as written: `runbooks/Redis/clear_anonymous_sessions.md` → runbooks, Redis,
    /// clear_anonymous_sessions.
    static func rawNameSegments(_ path: String) -> [String] {
        var parts = path.split(separator: "/").map(String.init).filter { !$0.isEmpty }
        if let last = parts.last.map(stem) {
            parts[parts.count - 1] = last
            if folderPages.contains(last.lowercased()) { parts.removeLast() }
        }
        return parts
    }

    /// A file name without a known extension: `KubePodCrashLooping.md` → KubePodCrashLooping.
    static func stem(_ file: String) -> String {
        guard let dot = file.lastIndex(of: "."), extensions.contains(file[file.index(after: dot)...].lowercased()) else { return file }
        return String(file[..<dot])
    }

    /// Whether `path` is a folder's own page (README, index): named by its folder, the folder's hub.
    static func isFolderPage(_ path: String) -> Bool {
        path.split(separator: "/").last.map { folderPages.contains(stem(String($0)).lowercased()) } ?? false
    }
}
