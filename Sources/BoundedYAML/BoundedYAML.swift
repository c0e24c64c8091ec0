import Yams

/// Decodes YAML within `YAMLLimits`. The size, nesting and alias limits are
/// checked on the text before libyaml sees it (so a deeply nested document
/// never reaches a recursive parser); the node limit is checked on the
/// composed tree, following aliases, before anything is decoded from it.
public enum BoundedYAML {
    public static func decode<T: Decodable>(_ type: T.Type, from text: String, limits: YAMLLimits) throws -> T {
        try check(text, limits: limits)
        // Composing is linear in the text (an alias is a reference); decoding follows aliases and expands merge
        // keys, so the expanded size is counted first, within the budget.
        if let node = try Parser(yaml: text, resolver: .default).singleRoot() {
            var budget = limits.maxNodes
            try count(node, budget: &budget, depth: 0, limits: limits)
        }
        return try YAMLDecoder().decode(type, from: text)
    }

    /// The lexical checks: size, nesting depth (indentation, `- ` markers and flow brackets),
    /// anchors, aliases and merge keys outside quoted scalars and comments.
    public static func check(_ text: String, limits: YAMLLimits) throws {
        guard text.utf8.count <= limits.maxBytes else {
            throw YAMLLimitError(limit: "size", line: nil,
                                 message: "the document is \(text.utf8.count) bytes; at most \(limits.maxBytes) are accepted")
        }
        var aliases = 0
        var indents: [Int] = []
        var flow = 0
        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = Array(rawLine.utf8)
            var i = 0
            while i < line.count && line[i] == 0x20 { i += 1 }
            if i == line.count || line[i] == 0x23 { continue }  // blank or comment
            if flow == 0 {
                while let last = indents.last, last > i { indents.removeLast() }
                if indents.last != i { indents.append(i) }
            }
            var depth = indents.count + flow
            var quote: UInt8 = 0
            var atNodeStart = true
            var j = i
            while j < line.count {
                let c = line[j]
                if quote != 0 {
                    if c == quote { quote = 0 }
                } else if c == 0x22 || c == 0x27 {
                    if atNodeStart { quote = c }
                } else if c == 0x23 && (j == 0 || line[j - 1] == 0x20) {
                    break  // comment
                } else if c == 0x5b || c == 0x7b {  // [ {
                    flow += 1; depth += 1; atNodeStart = true; j += 1; continue
                } else if c == 0x5d || c == 0x7d {  // ] }
                    flow = max(0, flow - 1)
                } else if c == 0x2d && atNodeStart && (j + 1 == line.count || line[j + 1] == 0x20) {
                    depth += 1  // "- " opens a sequence entry (also "- - - x" on one line)
                } else if (c == 0x26 || c == 0x2a) && atNodeStart {  // & anchor, * alias
                    aliases += 1
                } else if c == 0x3c && j + 2 < line.count && line[j + 1] == 0x3c && line[j + 2] == 0x3a {  // <<:
                    aliases += 1
                }
                guard depth <= limits.maxDepth else {
                    throw YAMLLimitError(limit: "depth", line: lineNumber,
                                         message: "nested deeper than \(limits.maxDepth) levels")
                }
                guard aliases <= limits.maxAliases else {
                    throw YAMLLimitError(limit: "aliases", line: lineNumber, message: limits.maxAliases == 0
                        ? "anchors, aliases and merge keys (&, *, <<) are not accepted here"
                        : "more than \(limits.maxAliases) anchors, aliases and merge keys")
                }
                atNodeStart = c == 0x20 || c == 0x2c || c == 0x3a || c == 0x2d || c == 0x3f  // after space , : - ?
                j += 1
            }
        }
    }

    static func count(_ node: Node, budget: inout Int, depth: Int, limits: YAMLLimits) throws {
        budget -= 1
        guard budget >= 0 else {
            throw YAMLLimitError(limit: "nodes", line: node.mark.map { $0.line },
                                 message: "more than \(limits.maxNodes) nodes once aliases are followed")
        }
        guard depth <= limits.maxDepth else {
            throw YAMLLimitError(limit: "depth", line: node.mark.map { $0.line }, message: "nested deeper than \(limits.maxDepth) levels")
        }
        switch node {
        case .scalar: break
        case .sequence(let s): for n in s { try count(n, budget: &budget, depth: depth + 1, limits: limits) }
        case .mapping(let m):
            for (k, v) in m {
                try count(k, budget: &budget, depth: depth + 1, limits: limits)
                try count(v, budget: &budget, depth: depth + 1, limits: limits)
            }
        }
    }
}
