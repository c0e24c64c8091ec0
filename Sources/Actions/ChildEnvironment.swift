import Foundation

/// The environment an action or a stdio MCP server starts with: never the
/// daemon's own (which holds its settings, credentials and key paths), only
/// what a tool needs to run and what the catalog declares for it.
public enum ChildEnvironment {
    /// Passed through from the daemon when set.
    public static let baseNames = ["PATH", "HOME", "LANG", "LC_ALL", "TZ", "KUBECONFIG"]

    /// `baseNames` and `passing` taken from `from`, then `setting` (literal values from the catalog) on top.
    public static func make(passing names: [String] = [], setting values: [String: String] = [:],
                            from environment: [String: String] = ProcessInfo.processInfo.environment) -> [String: String] {
        var out: [String: String] = [:]
        for name in baseNames + names { if let v = environment[name] { out[name] = v } }
        if out["PATH"] == nil { out["PATH"] = "/usr/local/bin:/usr/bin:/bin" }
        out.merge(values) { _, declared in declared }
        return out
    }

    /// What an environment variable name must look like in a catalog.
    static func isName(_ s: String) -> Bool {
        guard let f = s.utf8.first, !(0x30...0x39).contains(f), s.utf8.count <= 128 else { return false }
        return s.utf8.allSatisfy { (0x41...0x5a).contains($0) || (0x61...0x7a).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5f }
    }
}
