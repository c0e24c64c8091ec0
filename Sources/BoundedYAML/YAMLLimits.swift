/// Bounds on a YAML document, checked before and while it is parsed: its
/// size, how deeply it nests, how many anchors and aliases it uses and how
/// many nodes it has once aliases are followed (a "billion laughs" or a
/// merge-key bomb is a few hundred bytes that expand to 10^8 nodes).
public struct YAMLLimits: Sendable, Hashable {
    public var maxBytes: Int
    public var maxDepth: Int
    /// Anchors (`&a`), aliases (`*a`) and merge keys (`<<`) allowed; 0 for text from outside.
    public var maxAliases: Int
    /// Nodes after following aliases.
    public var maxNodes: Int

    public init(maxBytes: Int, maxDepth: Int, maxAliases: Int, maxNodes: Int) {
        self.maxBytes = maxBytes; self.maxDepth = maxDepth; self.maxAliases = maxAliases; self.maxNodes = maxNodes
    }

    /// IncidentReports and corpus front matter: text anyone may send or commit.
    public static let untrusted = YAMLLimits(maxBytes: 256 * 1024, maxDepth: 16, maxAliases: 0, maxNodes: 20_000)
    /// Operator configuration (catalog, policy, approvers): anchors allowed, still bounded.
    public static let configuration = YAMLLimits(maxBytes: 4 << 20, maxDepth: 32, maxAliases: 256, maxNodes: 200_000)
}

/// A document over a limit: which limit, and the line where it was exceeded when known.
public struct YAMLLimitError: Error, CustomStringConvertible, Sendable, Hashable {
    public var limit: String
    public var line: Int?
    public var message: String
    public init(limit: String, line: Int?, message: String) { self.limit = limit; self.line = line; self.message = message }
    public var description: String { (line.map { "line \($0): " } ?? "") + message }
}
