import BoundedYAML
import Foundation
import Yams

public struct ActionCatalog: Sendable {
    public var actions: [String: ActionDefinition]
    /// MCP servers by name.
    public var mcpServers: [String: MCPServerSpec] = [:]
    /// Hosts `http` actions may call.
    public var httpAllowedHosts: Set<String>
    /// The Prometheus `prometheus` actions query (the only one they can reach).
    public var prometheusURL: URL?
    /// Regular expressions whose matches are replaced by `[REDACTED]` in output.
    public let redactPatterns: [String]
    /// The compiled redaction patterns.
    public let redaction: Redaction

    struct File: Decodable {
        var actions: [ActionDefinition]
        var http_allowed_hosts: [String]?
        var redact_patterns: [String]?
        var mcp_servers: [String: MCPServerSpec]?
        var prometheus_url: String?
    }

    public static var defaultRedactions: [String] { Redaction.defaultPatterns }

    public init(actions: [ActionDefinition], httpAllowedHosts: Set<String>, redactPatterns: [String],
                mcpServers: [String: MCPServerSpec] = [:], prometheusURL: URL? = nil) throws {
        if let u = prometheusURL, !(["http", "https"].contains(u.scheme ?? "") && u.host != nil) {
            throw ActionError(.catalog, "prometheus_url must be an http(s) URL")
        }
        for (name, server) in mcpServers {
            switch (server.command, server.url) {
            case (let argv?, nil) where argv.first?.hasPrefix("/") == true: break
            case (nil, let url?) where url.hasPrefix("http://") || url.hasPrefix("https://"): break
            default:
                throw ActionError(.catalog, "mcp server \(name): needs either command (absolute executable first) or an http(s) url")
            }
        }
        var byID: [String: ActionDefinition] = [:]
        for a in actions {
            guard byID[a.id] == nil else { throw ActionError(.catalog, "duplicate action id \(a.id)") }
            try Self.check(a, allowedHosts: httpAllowedHosts, servers: mcpServers, prometheus: prometheusURL)
            byID[a.id] = a
        }
        self.mcpServers = mcpServers
        redaction = try Redaction(patterns: redactPatterns)
        self.actions = byID
        self.httpAllowedHosts = httpAllowedHosts
        self.redactPatterns = redactPatterns
        self.prometheusURL = prometheusURL
    }

    public static func load(yaml: String) throws -> ActionCatalog {
        let file: File
        do { file = try BoundedYAML.decode(File.self, from: yaml, limits: .configuration) } catch {
            throw ActionError(.catalog, "cannot read the catalog: \(error)")
        }
        var prometheus: URL?
        if let raw = file.prometheus_url {
            guard let u = URL(string: raw), ["http", "https"].contains(u.scheme ?? ""), u.host != nil else {
                throw ActionError(.catalog, "prometheus_url \(raw) is not an http(s) URL")
            }
            prometheus = u
        }
        return try ActionCatalog(actions: file.actions, httpAllowedHosts: Set(file.http_allowed_hosts ?? []),
                                 redactPatterns: defaultRedactions + (file.redact_patterns ?? []),
                                 mcpServers: file.mcp_servers ?? [:], prometheusURL: prometheus)
    }

    public static func load(path: String) throws -> ActionCatalog {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ActionError(.catalog, "cannot read \(path)")
        }
        return try load(yaml: String(decoding: data, as: UTF8.self))
    }

    public func action(_ id: String) throws -> ActionDefinition {
        guard let a = actions[id] else { throw ActionError(.unknownAction, "no action \(id) in the catalog") }
        return a
    }

    static func check(_ a: ActionDefinition, allowedHosts: Set<String>, servers: [String: MCPServerSpec],
                      prometheus: URL? = nil) throws {
        let where_ = "action \(a.id)"
        for name in Array((a.env ?? [:]).keys) + (a.passEnv ?? []) where !ChildEnvironment.isName(name) {
            throw ActionError(.catalog, "\(where_): \(name) is not an environment variable name")
        }
        guard a.timeoutSeconds > 0, a.outputLimitBytes > 0 else {
            throw ActionError(.catalog, "\(where_): timeout_seconds and output_limit_bytes must be positive")
        }
        if let m = a.runbook {
            guard (try? NSRegularExpression(pattern: m.pattern)) != nil else {
                throw ActionError(.catalog, "\(where_): runbook pattern is not a regular expression")
            }
            for name in Array((m.parameters ?? [:]).keys) + Array((m.fixed ?? [:]).keys) where a.parameters[name] == nil {
                throw ActionError(.catalog, "\(where_): runbook fills \(name), which is not a declared parameter")
            }
        }
        for (name, spec) in a.parameters {
            if let p = spec.pattern, (try? NSRegularExpression(pattern: p)) == nil {
                throw ActionError(.catalog, "\(where_): parameter \(name) pattern is not a regular expression")
            }
            if spec.type == .string && spec.pattern == nil && spec.enum == nil {
                throw ActionError(.catalog, "\(where_): string parameter \(name) needs a pattern or an enum")
            }
        }
        let templates: [String]
        switch a.runner {
        case .command:
            guard let exe = a.executable, exe.hasPrefix("/"), a.argv != nil else {
                throw ActionError(.catalog, "\(where_): command runner needs an absolute executable and argv")
            }
            templates = a.argv!
        case .kubectl:
            guard let argv = a.argv, !argv.isEmpty else { throw ActionError(.catalog, "\(where_): kubectl runner needs argv") }
            templates = argv
        case .http:
            guard let url = a.url, url.hasPrefix("http://") || url.hasPrefix("https://") else {
                throw ActionError(.catalog, "\(where_): http runner needs an http(s) url")
            }
            templates = [url]
        case .mcp:
            guard let server = a.server, servers[server] != nil, let tool = a.tool, !tool.isEmpty else {
                throw ActionError(.catalog, "\(where_): mcp runner needs a server from mcp_servers and a tool")
            }
            templates = Array((a.arguments ?? [:]).values)
        case .prometheus:
            guard let q = a.query, !q.isEmpty else { throw ActionError(.catalog, "\(where_): prometheus runner needs a query") }
            guard prometheus != nil else { throw ActionError(.catalog, "\(where_): prometheus runner needs the catalog's prometheus_url") }
            guard a.risk == .readOnly else { throw ActionError(.catalog, "\(where_): a prometheus query is read-only") }
            if let r = a.rangeMinutes, !(1...1440).contains(r) { throw ActionError(.catalog, "\(where_): range_minutes must be 1...1440") }
            if let s = a.stepSeconds, !(1...3600).contains(s) { throw ActionError(.catalog, "\(where_): step_seconds must be 1...3600") }
            templates = [q]
        }
        for t in templates {
            for name in Self.placeholders(t) where a.parameters[name] == nil {
                throw ActionError(.catalog, "\(where_): template uses {\(name)} which is not a declared parameter")
            }
        }
    }

    /// `{name}` placeholders (an identifier in braces; PromQL's own braces around label matchers are not one).
    static func placeholders(_ template: String) -> [String] {
        let re = try! NSRegularExpression(pattern: #"\{([A-Za-z_][A-Za-z0-9_]*)\}"#)
        return re.matches(in: template, range: NSRange(template.startIndex..., in: template)).compactMap {
            Range($0.range(at: 1), in: template).map { String(template[$0]) }
        }
    }
}
