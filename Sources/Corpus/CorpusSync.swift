import Foundation
import IncidentLog
import Kafka
import Logging

/// What one sync pass found and will publish.
public struct SyncPlan: Sendable {
    public var events: [CorpusEvent] = []
    public var errors: [CorpusError] = []
    public var warnings: [String] = []
    public var unchanged = 0
    public var scanned = 0

    public var upserts: Int { events.filter { $0.type == .upserted }.count }
    public var deletes: Int { events.filter { $0.type == .deleted }.count }
}

/// `aiops corpus sync PATH`: walks a directory of markdown, compares content
/// hashes with the corpus topic, and publishes only what changed (deletions
/// and renames included). A broken file is reported with its line and
/// skipped; its previously indexed version stays.
public enum CorpusSync {
    /// Markdown files under `root`, relative paths with `/`, hidden directories skipped.
    public static func scan(root: URL) throws -> [(path: String, text: String)] {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: root.path, isDirectory: &isDir), isDir.boolValue else {
            throw CorpusError(path: root.path, line: nil, problem: "not a directory")
        }
        guard let walker = fm.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey],
                                         options: [.skipsHiddenFiles]) else { return [] }
        var out: [(String, String)] = []
        let base = root.standardizedFileURL.path
        for case let url as URL in walker {
            let ext = url.pathExtension.lowercased()
            guard ext == "md" || ext == "markdown" else { continue }
            let full = url.standardizedFileURL.path
            let relative = full.hasPrefix(base + "/") ? String(full.dropFirst(base.count + 1)) : url.lastPathComponent
            if relative.lowercased() == "readme.md" { continue }
            guard let data = fm.contents(atPath: full) else { continue }
            out.append((relative, String(decoding: data, as: UTF8.self)))
        }
        return out.sorted { $0.0 < $1.0 }
    }

    /// Pure: the events that bring `snapshot` to the scanned files.
    public static func plan(files: [(path: String, text: String)], snapshot: CorpusSnapshot, source: String,
                            now: Date = Date()) -> SyncPlan {
        var plan = SyncPlan()
        plan.scanned = files.count
        var seen: [String: String] = [:] // id → path
        var brokenPaths: Set<String> = []
        for f in files {
            let doc: CorpusDocument
            do {
                let (d, warnings) = try CorpusDocument.parse(path: f.path, text: f.text)
                doc = d
                plan.warnings += warnings
            } catch {
                plan.errors.append(error)
                brokenPaths.insert(f.path)
                continue
            }
            if let other = seen[doc.id] {
                plan.errors.append(CorpusError(path: f.path, line: nil,
                                               problem: "document id \(doc.id) is already used by \(other); skipped"))
                continue
            }
            seen[doc.id] = f.path
            if let old = snapshot.documents[doc.id], old.contentHash == doc.contentHash, old.path == doc.path {
                plan.unchanged += 1
                continue
            }
            plan.events.append(CorpusEvent(type: .upserted, documentID: doc.id, path: doc.path,
                                           contentHash: doc.contentHash, content: f.text, syncedAt: now, source: source))
        }
        // Only this directory's documents are deleted: a corpus can be fed from several handbooks
        // (the team's, and aiops's own docs/ops-handbook).
        for (id, entry) in snapshot.documents.sorted(by: { $0.key < $1.key })
        where seen[id] == nil && (entry.source == nil || entry.source == source) {
            // A file that failed to parse keeps its last good version.
            if brokenPaths.contains(entry.path) { continue }
            plan.events.append(CorpusEvent(type: .deleted, documentID: id, path: entry.path,
                                           contentHash: entry.contentHash, content: nil, syncedAt: now, source: source))
        }
        return plan
    }

    /// Every current document again, so the embedder re-embeds what an older model embedded.
    public static func reembedPlan(snapshot: CorpusSnapshot, source: String, now: Date = Date()) -> [CorpusEvent] {
        snapshot.documents.sorted { $0.key < $1.key }.map { id, e in
            CorpusEvent(type: .upserted, documentID: id, path: e.path, contentHash: e.contentHash, content: e.content,
                        syncedAt: now, source: source, reason: "reembed")
        }
    }
}
