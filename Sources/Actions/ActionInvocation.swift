import Foundation

/// An action with validated parameters, ready to run: argv or URL built
/// from the catalog's template. The only way to obtain one is `prepare`.
public struct PreparedAction: Sendable, Hashable {
    public let definition: ActionDefinition
    public let parameters: [String: String]
    /// For command/kubectl: the full argv (executable first).
    public let argv: [String]
    /// For http: the URL.
    public let url: URL?
    /// For mcp: the server, the tool and its typed arguments.
    public var mcp: MCPCall? = nil
    /// For prometheus: the PromQL, filled in.
    public var query: String? = nil
}

/// A validated MCP tool call.
public struct MCPCall: Sendable, Hashable {
    public enum Argument: Sendable, Hashable {
        case string(String), integer(Int), boolean(Bool)
    }
    public var serverName: String
    public var server: MCPServerSpec
    public var tool: String
    public var arguments: [String: Argument]
}

extension ActionCatalog {
    /// Validates `parameters` (untrusted: they may come from a model or an
    /// alert) against the action's schema and builds its argv or URL.
    public func prepare(_ id: String, parameters: [String: String], kubectl: String = "kubectl") throws -> PreparedAction {
        let a = try action(id)
        for name in parameters.keys where a.parameters[name] == nil {
            throw ActionError(.invalidParameter, "\(id): unknown parameter \(name)")
        }
        var values: [String: String] = [:]
        for (name, spec) in a.parameters {
            guard let v = parameters[name] else {
                if spec.required ?? true { throw ActionError(.invalidParameter, "\(id): missing parameter \(name)") }
                continue
            }
            try Self.validate(v, spec, name: name, action: id)
            values[name] = v
        }
        func fill(_ t: String) -> String {
            var s = t
            for (k, v) in values { s = s.replacingOccurrences(of: "{\(k)}", with: v) }
            return s
        }
        switch a.runner {
        case .command:
            return PreparedAction(definition: a, parameters: values, argv: [a.executable!] + a.argv!.map(fill), url: nil)
        case .kubectl:
            return PreparedAction(definition: a, parameters: values, argv: [kubectl] + a.argv!.map(fill), url: nil)
        case .mcp:
            var arguments: [String: MCPCall.Argument] = [:]
            for (name, template) in a.arguments ?? [:] {
                // "{p}" alone takes p's type; anything else is a string with the parameters filled in.
                if template.hasPrefix("{"), template.hasSuffix("}"), let spec = a.parameters[String(template.dropFirst().dropLast())] {
                    guard let v = values[String(template.dropFirst().dropLast())] else { continue }
                    switch spec.type {
                    case .integer: arguments[name] = .integer(Int(v)!)
                    case .boolean: arguments[name] = .boolean(v == "true")
                    case .string: arguments[name] = .string(v)
                    }
                } else {
                    arguments[name] = .string(fill(template))
                }
            }
            let call = MCPCall(serverName: a.server!, server: mcpServers[a.server!]!, tool: a.tool!, arguments: arguments)
            return PreparedAction(definition: a, parameters: values, argv: [], url: nil, mcp: call)
        case .http:
            guard let url = URL(string: fill(a.url!)), let host = url.host else {
                throw ActionError(.invalidParameter, "\(id): the URL built from the parameters is not valid")
            }
            guard httpAllowedHosts.contains(host.lowercased()) || httpAllowedHosts.contains("\(host.lowercased()):\(url.port ?? 80)") else {
                throw ActionError(.notAllowed, "\(id): host \(host) is not in http_allowed_hosts")
            }
            return PreparedAction(definition: a, parameters: values, argv: [], url: url)
        case .prometheus:
            // A value inside a larger expression (a label matcher's string, a range) cannot leave its place: no
            // quotes, backslashes or backticks. A parameter that is the whole query is held by its pattern alone.
            let template = a.query!
            for (name, v) in values where template != "{\(name)}" && template.contains("{\(name)}") {
                guard !v.contains(where: { "\"'`\\".contains($0) }) else {
                    throw ActionError(.invalidParameter, "\(id): parameter \(name) must not contain quotes or backslashes")
                }
            }
            return PreparedAction(definition: a, parameters: values, argv: [], url: prometheusURL, query: fill(template))
        }
    }

    static func validate(_ v: String, _ spec: ParameterSpec, name: String, action: String) throws {
        let bad = { (why: String) in ActionError(.invalidParameter, "\(action): parameter \(name) \(why)") }
        guard !v.contains(where: { $0.isNewline || $0 == "\0" }) else { throw bad("contains control characters") }
        // A value that starts with '-' would be read as an option by the program.
        guard !v.hasPrefix("-") || spec.type == .integer else { throw bad("must not start with '-'") }
        if let max = spec.maxLength, v.count > max { throw bad("is longer than \(max)") }
        switch spec.type {
        case .integer:
            guard let i = Int(v) else { throw bad("is not an integer") }
            if let min = spec.minimum, i < min { throw bad("is below \(min)") }
            if let max = spec.maximum, i > max { throw bad("is above \(max)") }
        case .boolean:
            guard v == "true" || v == "false" else { throw bad("is not true or false") }
        case .string:
            break
        }
        if let allowed = spec.enum, !allowed.contains(v) { throw bad("must be one of \(allowed.joined(separator: ", "))") }
        if let p = spec.pattern {
            guard let re = try? NSRegularExpression(pattern: "^(?:\(p))$"),
                  re.firstMatch(in: v, range: NSRange(v.startIndex..., in: v)) != nil else {
                throw bad("does not match \(p)")
            }
        }
    }
}
