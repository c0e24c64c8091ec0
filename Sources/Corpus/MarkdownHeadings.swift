/// The headings of a markdown body, outside fenced code: ATX (`## Diagnosis`) and setext — a line underlined
/// with `=` (level 1) or `-` (level 2), as CommonMark allows and as several runbook collections write every
/// section (`Meaning` / `-------`). Indexes are positions in the lines given.
struct MarkdownHeadings {
    /// Line index of each heading's text → its level and title.
    private(set) var headings: [Int: (level: Int, title: String)] = [:]
    /// Line indexes that belong to a heading and are not body text: the heading lines and setext underlines.
    private(set) var headingLines: Set<Int> = []

    init<S: StringProtocol>(_ lines: [S]) {
        var inFence = false
        var previousBlank = true
        for (i, line) in lines.enumerated() {
            if Self.isFence(line) { inFence.toggle() }
            defer { previousBlank = line.allSatisfy(\.isWhitespace) || headingLines.contains(i) }
            guard !inFence, !headingLines.contains(i) else { continue }
            if let (level, title) = Self.atx(line) {
                headings[i] = (level, title)
                headingLines.insert(i)
            } else if previousBlank, i + 1 < lines.count, let level = Self.underline(lines[i + 1]), Self.canBeSetextText(line) {
                headings[i] = (level, line.trimmingCharacters(in: .whitespaces))
                headingLines.formUnion([i, i + 1])
            }
        }
    }

    /// `## Diagnosis` → (2, "Diagnosis"): one to six `#`, then a space.
    static func atx<S: StringProtocol>(_ line: S) -> (Int, String)? {
        var level = 0
        for c in line { if c == "#" { level += 1 } else { break } }
        guard (1...6).contains(level), line.count > level, line[line.index(line.startIndex, offsetBy: level)] == " " else {
            return nil
        }
        return (level, line.dropFirst(level).trimmingCharacters(in: .whitespaces))
    }

    /// `=====` → 1, `-----` → 2: at least two of one character, at most three spaces before, spaces after.
    static func underline<S: StringProtocol>(_ line: S) -> Int? {
        let leading = line.prefix { $0 == " " }.count
        let rest = line.dropFirst(leading).trimmingCharacters(in: .whitespaces)
        guard leading <= 3, rest.count >= 2, let c = rest.first, c == "=" || c == "-", rest.allSatisfy({ $0 == c }) else {
            return nil
        }
        return c == "=" ? 1 : 2
    }

    /// A one-line paragraph: not blank, not indented code, not a list item, quote, table row, fence or heading.
    static func canBeSetextText<S: StringProtocol>(_ line: S) -> Bool {
        let leading = line.prefix { $0 == " " }.count
        let text = line.trimmingCharacters(in: .whitespaces)
        guard leading <= 3, !text.isEmpty, !isFence(line), atx(line) == nil, underline(line) == nil else { return false }
        if let first = text.first, ">|".contains(first) { return false }
        for marker in ["- ", "* ", "+ "] where text.hasPrefix(marker) { return false }
        let digits = text.prefix { $0.isNumber }
        if !digits.isEmpty, let after = text.dropFirst(digits.count).first, after == "." || after == ")" { return false }
        return true
    }

    /// A line that opens or closes a fenced code block (where `#` starts a comment, not a heading).
    static func isFence<S: StringProtocol>(_ line: S) -> Bool {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        return trimmed.hasPrefix("```") || trimmed.hasPrefix("~~~")
    }
}
