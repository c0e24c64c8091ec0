import Foundation
import Yams

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
    /// For `prometheus`: the PromQL template, run against the catalog's `prometheus_url`; an instant query, or a
    /// range query over the last `range_minutes` (one point per `step_seconds`, default 30).
    public var query: String?
    public var rangeMinutes: Int?
    public var stepSeconds: Int?
    public var parameters: [String: ParameterSpec]
    public var timeoutSeconds: Double
    public var outputLimitBytes: Int
    /// How the built-in planner recognises this action in runbook text.
    public var runbook: RunbookMatch?
    /// For `command`/`kubectl`: environment the child gets on top of PATH, HOME, LANG, LC_ALL, TZ and KUBECONFIG
    /// (`env`: literal values; `pass_env`: names taken from the executor's environment). Nothing else is inherited.
    public var env: [String: String]?
    public var passEnv: [String]?

    enum CodingKeys: String, CodingKey {
        case id, description, risk, runner, executable, argv, url, server, tool, arguments, parameters, runbook, env, query
        case timeoutSeconds = "timeout_seconds", outputLimitBytes = "output_limit_bytes", passEnv = "pass_env"
        case rangeMinutes = "range_minutes", stepSeconds = "step_seconds"
    }

    /// The environment the child starts with.
    public var childEnvironment: [String: String] { ChildEnvironment.make(passing: passEnv ?? [], setting: env ?? [:]) }
}
