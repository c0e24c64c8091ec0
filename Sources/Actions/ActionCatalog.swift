import Foundation
import Yams

/// What an action may do to the world.
public enum ActionRisk: String, Sendable, Codable { case readOnly = "read_only", destructive }

/// How an action runs. Every runner takes argv or a URL built from a template
/// and validated parameters: never a shell, never text chosen by an alert, a
/// document or a model.
public enum ActionRunner: String, Sendable, Codable { case command, kubectl, http, mcp }

/// One parameter's schema.
public struct ParameterSpec: Sendable, Codable, Hashable {
    public enum Kind: String, Sendable, Codable { case string, integer, boolean }
    public var type: Kind
    /// Anchored: the whole value must match.
    public var pattern: String?
    public var `enum`: [String]?
    public var minimum: Int?
    public var maximum: Int?
    public var maxLength: Int?
    public var required: Bool?
    public var description: String?

    enum CodingKeys: String, CodingKey {
        case type, pattern, `enum`, minimum, maximum, required, description
        case maxLength = "max_length"
    }
}

/// One catalog entry.
public struct ActionDefinition: Sendable, Codable, Hashable {
    public var id: String
    public var description: String
    public var risk: ActionRisk
    public var runner: ActionRunner
    /// For `command`: the executable (absolute path, operator-provided script).
    public var executable: String?
    /// For `command` and `kubectl`: argv template; `{name}` is replaced by the
    /// validated parameter, and every element stays one argument.
    public var argv: [String]?
    /// For `http`: URL template; the host must be in the catalog's allow-list.
    public var url: String?
    /// For `mcp`: the configured MCP server (a key of the catalog's `mcp_servers`), the tool to call,
    /// and its arguments (templates; a value that is exactly `{name}` takes the parameter's type).
    public var server: String?
    public var tool: String?
    public var arguments: [String: String]?
    public var parameters: [String: ParameterSpec]
    public var timeoutSeconds: Double
    public var outputLimitBytes: Int
    /// How the built-in planner recognises this action in runbook text.
    public var runbook: RunbookMatch?

    enum CodingKeys: String, CodingKey {
        case id, description, risk, runner, executable, argv, url, server, tool, arguments, parameters, runbook
        case timeoutSeconds = "timeout_seconds", outputLimitBytes = "output_limit_bytes"
    }
}

/// A runbook line the built-in planner maps to an action: a regular expression
/// on the line, which alert labels fill which parameters (first label present
/// wins), and fixed values. The result is validated like any other request.
public struct RunbookMatch: Sendable, Codable, Hashable {
    public var pattern: String
    public var parameters: [String: [String]]?
    public var fixed: [String: String]?
    public init(pattern: String, parameters: [String: [String]]? = nil, fixed: [String: String]? = nil) {
        self.pattern = pattern; self.parameters = parameters; self.fixed = fixed
    }
}

/// A problem with the catalog or with a request to run an action.
public struct ActionError: Error, CustomStringConvertible, Sendable, Equatable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let raw: String
        public static let catalog = Code(raw: "catalog")
        public static let unknownAction = Code(raw: "unknownAction")
        public static let invalidParameter = Code(raw: "invalidParameter")
        public static let notAllowed = Code(raw: "notAllowed")
        public static let launch = Code(raw: "launch")
        public var description: String { raw }
    }
    public var code: Code
    public var message: String
    public init(_ code: Code, _ message: String) { self.code = code; self.message = message }
    public var description: String { "action \(code): \(message)" }
}

/// The action catalog: data, not code. `examples/actions/catalog.yaml` is the
/// default; a deployment overrides it with its own file.
/// An MCP server actions may call a tool on: a command started per call
/// (stdio transport) or a Streamable HTTP endpoint.
public struct MCPServerSpec: Sendable, Codable, Hashable {
    /// argv of a stdio server; the executable must be an absolute path.
    public var command: [String]?
    /// URL of a Streamable HTTP server.
    public var url: String?
    /// Extra environment for a stdio server.
    public var env: [String: String]?
    public init(command: [String]? = nil, url: String? = nil, env: [String: String]? = nil) {
        self.command = command; self.url = url; self.env = env
    }
}

public struct ActionCatalog: Sendable {
    public var actions: [String: ActionDefinition]
    /// MCP servers by name.
    public var mcpServers: [String: MCPServerSpec] = [:]
    /// Hosts `http` actions may call.
    public var httpAllowedHosts: Set<String>
    /// Regular expressions whose matches are replaced by `[REDACTED]` in output.
    public var redactPatterns: [String]

    struct File: Decodable {
        var actions: [ActionDefinition]
        var http_allowed_hosts: [String]?
        var redact_patterns: [String]?
        var mcp_servers: [String: MCPServerSpec]?
    }

    public static let defaultRedactions = [
        #"(?i)(authorization:\s*(bearer|basic)\s+)[A-Za-z0-9._~+/=-]+"#,
        #"(?i)((password|passwd|secret|token|api[_-]?key)\s*[=:]\s*)\S+"#,
        #"AKIA[0-9A-Z]{16}"#,
        #"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----"#,
    ]

    public init(actions: [ActionDefinition], httpAllowedHosts: Set<String>, redactPatterns: [String],
                mcpServers: [String: MCPServerSpec] = [:]) throws {
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
            try Self.check(a, allowedHosts: httpAllowedHosts, servers: mcpServers)
            byID[a.id] = a
        }
        self.mcpServers = mcpServers
        for p in redactPatterns {
            guard (try? NSRegularExpression(pattern: p)) != nil else {
                throw ActionError(.catalog, "redact pattern is not a regular expression: \(p)")
            }
        }
        self.actions = byID
        self.httpAllowedHosts = httpAllowedHosts
        self.redactPatterns = redactPatterns
    }

    public static func load(yaml: String) throws -> ActionCatalog {
        let file: File
        do { file = try YAMLDecoder().decode(File.self, from: yaml) } catch {
            throw ActionError(.catalog, "cannot read the catalog: \(error)")
        }
        return try ActionCatalog(actions: file.actions, httpAllowedHosts: Set(file.http_allowed_hosts ?? []),
                                 redactPatterns: defaultRedactions + (file.redact_patterns ?? []),
                                 mcpServers: file.mcp_servers ?? [:])
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

    static func check(_ a: ActionDefinition, allowedHosts: Set<String>, servers: [String: MCPServerSpec]) throws {
        let where_ = "action \(a.id)"
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
        }
        for t in templates {
            for name in Self.placeholders(t) where a.parameters[name] == nil {
                throw ActionError(.catalog, "\(where_): template uses {\(name)} which is not a declared parameter")
            }
        }
    }

    static func placeholders(_ template: String) -> [String] {
        var out: [String] = []
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            out.append(String(rest[rest.index(after: open)..<close]))
            rest = rest[rest.index(after: close)...]
        }
        return out
    }
}
