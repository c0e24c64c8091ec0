/// One configuration setting of a daemon, documented once. `--help`, the
/// README tables and the deploy/ manifests are rendered from (or checked
/// against) these declarations, so the three never drift apart.
public struct Setting: Sendable, Hashable {
    /// The environment variable, e.g. `RETRIEVER_PORT`.
    public var env: String
    /// The command-line flag without dashes, e.g. `retriever-port` (derived from `env` unless given).
    public var flag: String
    /// The default as text; nil when there is none (the setting is optional or required).
    public var defaultValue: String?
    public var help: String
    /// A secret is never printed with its value; prefer the `<ENV>_FILE` form for it.
    public var secret: Bool

    public init(_ env: String, flag: String? = nil, default defaultValue: String? = nil, secret: Bool = false,
                _ help: String) {
        self.env = env
        self.flag = flag ?? env.lowercased().replacingOccurrences(of: "_", with: "-")
        self.defaultValue = defaultValue
        self.help = help
        self.secret = secret
    }
}

extension Setting {
    /// `--flag` column, env column, default and help as one markdown table row.
    public var markdownRow: String {
        let def = defaultValue.map { $0.isEmpty ? "(empty)" : "`\($0)`" } ?? "—"
        return "| `--\(flag)` | `\(env)` | \(def) | \(help.replacingOccurrences(of: "|", with: "\\|")) |"
    }

    /// The settings as a markdown table (what the README shows for a daemon).
    public static func markdownTable(_ settings: [Setting]) -> String {
        (["| flag | environment | default | |", "|---|---|---|---|"] + settings.map(\.markdownRow)).joined(separator: "\n")
    }

    /// The settings as `--help` text.
    public static func helpText(_ settings: [Setting]) -> String {
        settings.map { s in
            let def = s.defaultValue.map { $0.isEmpty ? " (default: empty)" : " (default: \($0))" } ?? ""
            let file = s.secret ? "; or \(s.env)_FILE naming a file that holds it" : ""
            return "  --\(s.flag) <value>\n      \(s.env)\(def)\(file): \(s.help)"
        }.joined(separator: "\n")
    }
}
