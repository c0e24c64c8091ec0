import Corpus

/// How names are compared wherever a name picks a document — an alert name against a file name or title, a
/// runbook link against a path: lowercase ASCII letters and digits only, so `KubePodCrashLooping`,
/// `kube-pod-crash-looping.md` and `kubepodcrashlooping` agree. The index's generated `name_key` and
/// `title_key` columns compute the same key in SQL (IndexStore migrations 3 and 4); keep them in step.
public enum DocumentName {
    public static func key(_ s: String) -> String {
        String(s.lowercased().unicodeScalars.filter { ($0 >= "a" && $0 <= "z") || ($0 >= "0" && $0 <= "9") }.map(Character.init))
    }

    /// The words of a name or a text, as a name's words are compared with an alert's: split at case changes and
    /// at anything not a letter or digit (`NodeFilesystemFilesFillingUp`, `filesystem_alerts_inodes`), lowercased,
    /// a plural, `-ing`/`-ed` or adverb `-ly` ending dropped, and words that name nothing (`and`, `alerts`, `runbook`…) left out.
    /// Both sides go through the same steps, so a crude stem only has to agree with itself.
    public static func words(_ s: String) -> [String] {
        IdentifierWords.spaced(String(s.prefix(8_000)))
            .split { !($0.isASCII && ($0.isLetter || $0.isNumber)) }
            .map { stem($0.lowercased()) }
            .filter { !stopWords.contains($0) }
    }

    /// The words of what a document is called: its file name without the extension, or its folder's name for a
    /// README or index page (`runbooks/gitlab/monitoring/filesystem_alerts_inodes.md` → filesystem, inode).
    public static func nameWords(ofPath path: String) -> [String] {
        RunbookLink.rawNameSegments(path).last.map(words) ?? []
    }

    /// An adverb's `-ly` after a consonant goes too, leaving four letters or more: `CephClusterCriticallyFull` is
    /// the page of a critical alert (the alert's severity explains `critical`), and an alert saying "nearly full"
    /// explains the `Near` of `CephClusterNearFull` (`gitaly`, `anomaly`, `daily` stay whole).
    static func stem(_ w: String) -> String {
        if w.hasSuffix("ly"), w.count - 2 >= 4, let before = w.dropLast(2).last, !"aeiouy".contains(before) {
            return String(w.dropLast(2))
        }
        for suffix in ["ing", "es", "ed", "s"] where w.hasSuffix(suffix) && w.count - suffix.count >= 3 {
            return String(w.dropLast(suffix.count))
        }
        return w
    }

    /// Words in names and alert text that say nothing about what a document is about (already stemmed). With `too`,
    /// the quantifiers `much`, `many`, `few`: `CortexAllocatingTooMuchMemory` is about memory, and an alert says how
    /// much with a number ("close to its memory limit"), so `much` is no word of the page's name the alert leaves
    /// unexplained (docs/retrieval.md, "Quantifiers").
    static let stopWords: Set<String> = ["and", "the", "of", "to", "a", "is", "too", "much", "many", "few", "for", "in",
                                          "on", "with", "an", "by", "ha", "has", "have", "been", "alert", "runbook", "how",
                                          "what", "when", "md", "readme", "index"]
}
