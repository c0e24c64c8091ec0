import Foundation
import Yams

/// The action catalog: data, not code. `examples/actions/catalog.yaml` is the
/// default; a deployment overrides it with its own file.
/// An MCP server actions may call a tool on: a command started per call
/// (stdio transport) or a Streamable HTTP endpoint.
public struct MCPServerSpec: Sendable, Codable, Hashable {
    /// argv of a stdio server; the executable must be an absolute path.
    public var command: [String]?
    /// URL of a Streamable HTTP server.
    public var url: String?
    /// Environment of a stdio server on top of PATH, HOME, LANG, LC_ALL, TZ and KUBECONFIG: literal values,
    /// and names taken from the executor's environment. Nothing else is inherited.
    public var env: [String: String]?
    public var passEnv: [String]?
    public init(command: [String]? = nil, url: String? = nil, env: [String: String]? = nil, passEnv: [String]? = nil) {
        self.command = command; self.url = url; self.env = env; self.passEnv = passEnv
    }
    enum CodingKeys: String, CodingKey { case command, url, env; case passEnv = "pass_env" }
}
