/// A piece of a document that is embedded and retrieved on its own.
public struct Chunk: Sendable, Hashable {
    /// `<document id>#<ordinal>`: from the document and the position.
    public var id: String
    public var ordinal: Int
    public var documentID: String
    /// `Title > Heading > Subheading`.
    public var headingPath: String
    /// 1-based, inclusive, in the file.
    public var lineStart: Int
    public var lineEnd: Int
    /// The section's markdown.
    public var content: String
    /// What is embedded and indexed: title and heading path, then the content.
    public var embeddingText: String
    /// SHA-256 of `embeddingText`: an unchanged chunk is not embedded again.
    public var contentHash: String
    /// A reading of the page as a whole (after its sections), not a section: left out of the document's words,
    /// its list of sections and its reassembled text. The whole of a short page is searched by meaning like any
    /// chunk; the opening of a longer one (`isOpening`) only makes the page-level signal.
    public var isWholePage = false
    /// The first `Chunker.pageCharacters` of a page too long to read whole: compared with the alert as the page's
    /// opening (RetrievalScoring's `pageVector`), never as one of its passages. Always `isWholePage` too.
    public var isOpening = false
}

/// Splits a document along its headings. Each chunk keeps the document title
/// and its heading path; a section longer than `maxCharacters` is split on
/// line boundaries with `overlapCharacters` of overlap. A page (not a past
/// incident) of several sections and at most `pageCharacters` is also one
/// chunk of its own, last (`isWholePage`); a longer one gets its first
/// `pageCharacters` as its opening instead (`isOpening`). Deterministic.
public struct Chunker: Sendable {
    public var maxCharacters = 1_200
    public var overlapCharacters = 200
    /// A page up to this long, in several sections, is also one chunk of its own; a longer page's opening is this
    /// long (0: neither).
    public var pageCharacters = 2_000

    public init(maxCharacters: Int = 1_200, overlapCharacters: Int = 200, pageCharacters: Int = 2_000) {
        self.maxCharacters = maxCharacters
        self.overlapCharacters = overlapCharacters
        self.pageCharacters = pageCharacters
    }

    public func chunks(of doc: CorpusDocument) -> [Chunk] {
        struct Section { var path: [String]; var lines: [(Int, Substring)] }
        var sections: [Section] = []
        var stack: [(level: Int, title: String)] = []
        var current = Section(path: [], lines: [])
        let lines = doc.body.split(separator: "\n", omittingEmptySubsequences: false)
        let headings = MarkdownHeadings(lines)
        for (i, line) in lines.enumerated() {
            let number = doc.bodyStartLine + i
            if let (level, title) = headings.headings[i] {
                sections.append(current)
                while let last = stack.last, last.level >= level { stack.removeLast() }
                stack.append((level, title))
                // The document title (usually the H1) is already the path's root.
                let path = stack.map(\.title).filter { $0 != doc.title }
                current = Section(path: path, lines: [(number, line)])
                continue
            }
            current.lines.append((number, line))
        }
        sections.append(current)

        var out: [Chunk] = []
        // Chunk `ordinal` (the next) of this document: embedded as its heading path, then its content.
        func append(_ headingPath: String, lines: ClosedRange<Int>, _ content: String, isWholePage: Bool = false,
                    isOpening: Bool = false) {
            let text = "\(headingPath)\n\(content)"
            out.append(Chunk(id: "\(doc.id)#\(out.count)", ordinal: out.count, documentID: doc.id, headingPath: headingPath,
                             lineStart: lines.lowerBound, lineEnd: lines.upperBound, content: content, embeddingText: text,
                             contentHash: sha256Hex(text), isWholePage: isWholePage, isOpening: isOpening))
        }
        for section in sections {
            let body = section.lines.filter { !headings.headingLines.contains($0.0 - doc.bodyStartLine) }
            guard body.contains(where: { !$0.1.trimmingCharacters(in: .whitespaces).isEmpty }) else { continue }
            let headingPath = ([doc.title] + section.path).joined(separator: " > ")
            for window in windows(section.lines) {
                let content = window.map { String($0.1) }.joined(separator: "\n").trimmingCharacters(in: .newlines)
                guard !content.isEmpty else { continue }
                append(headingPath, lines: window.first!.0...window.last!.0, content)
            }
        }
        // A short page of several sections is also read whole: its meaning is spread over sections too small to
        // carry it (an alert's page: what it means, its impact, how to diagnose and mitigate it). Not a past
        // incident: its whole story's words already decide, and its passages are what tell one story from another
        // (with whole-page chunks the example suite's pipeline lost a session-loss story to the floor).
        let body = doc.body.trimmingCharacters(in: .whitespacesAndNewlines)
        guard pageCharacters > 0, doc.kind != .postmortem, let first = out.first, let last = out.last else { return out }
        if out.count >= 2, body.count <= pageCharacters {
            append(doc.title, lines: first.lineStart...last.lineEnd, body, isWholePage: true)
        } else if body.count > pageCharacters {
            // A longer page's opening, read as the page: what it is about is usually said first, and a page of many
            // sections has no one passage that says it (docs/retrieval.md, "a longer page's opening").
            let opening = String(body.prefix(pageCharacters))
            let lastLine = first.lineStart + opening.reduce(0) { $1 == "\n" ? $0 + 1 : $0 }
            append(doc.title, lines: first.lineStart...lastLine, opening, isWholePage: true, isOpening: true)
        }
        return out
    }

    /// Line windows of at most `maxCharacters`, overlapping by about `overlapCharacters`.
    func windows(_ lines: [(Int, Substring)]) -> [[(Int, Substring)]] {
        let total = lines.reduce(0) { $0 + $1.1.count + 1 }
        guard total > maxCharacters else { return [lines] }
        var out: [[(Int, Substring)]] = []
        var start = 0
        while start < lines.count {
            var size = 0
            var end = start
            while end < lines.count && (size + lines[end].1.count + 1 <= maxCharacters || end == start) {
                size += lines[end].1.count + 1
                end += 1
            }
            out.append(Array(lines[start..<end]))
            if end >= lines.count { break }
            // Step back over whole lines to overlap, but always move forward.
            var back = end
            var overlap = 0
            while back > start + 1 && overlap + lines[back - 1].1.count + 1 <= overlapCharacters {
                back -= 1
                overlap += lines[back].1.count + 1
            }
            start = back
        }
        return out
    }
}
