import Actions
import Foundation
import TestSupport
import Testing

/// The `mcp` runner against a real MCP server over stdio (Tests/Fixtures/mcp_server.py).
@Suite("Action catalog: the mcp runner")
struct MCPRunnerTests {
    let log = TestScratch.path("mcp", suffix: ".jsonl").path

    func catalog(server: String? = nil) throws -> ActionCatalog {
        let fixture = TestSchemas.repositoryRoot.appendingPathComponent("Tests/Fixtures/mcp_server.py").path
        return try ActionCatalog.load(yaml: """
            mcp_servers:
              fixture:
                command: [/usr/bin/env, python3, \(fixture)]
                env: {MCP_FIXTURE_LOG: \(log)}
            actions:
              - {id: mcp.pod-status, description: pods, risk: read_only, runner: mcp, server: \(server ?? "fixture"), tool: pod_status,
                 arguments: {namespace: "{namespace}", replicas: "{replicas}"},
                 parameters: {namespace: {type: string, pattern: "[a-z0-9-]+"}, replicas: {type: integer, minimum: 1, maximum: 9}},
                 timeout_seconds: 20, output_limit_bytes: 4096}
              - {id: mcp.failing, description: fails, risk: read_only, runner: mcp, server: fixture, tool: failing,
                 parameters: {}, timeout_seconds: 20, output_limit_bytes: 4096}
              - {id: mcp.hang, description: hangs, risk: read_only, runner: mcp, server: fixture, tool: hang,
                 parameters: {}, timeout_seconds: 1, output_limit_bytes: 4096}
              - {id: mcp.leak, description: leaks, risk: read_only, runner: mcp, server: fixture, tool: leak,
                 parameters: {}, timeout_seconds: 20, output_limit_bytes: 4096}
            """)
    }

    @Test func aToolIsCalledWithTypedValidatedArguments() async throws {
        let c = try catalog()
        let prepared = try c.prepare("mcp.pod-status", parameters: ["namespace": "payments", "replicas": "3"])
        let r = try await ActionExecutor(catalog: c).run(prepared)
        #expect(r.exitStatus == 0)
        #expect(r.output.contains("namespace=payments replicas=3 (int) all Running"))
        let calls = try String(contentsOfFile: log, encoding: .utf8)
        #expect(calls.contains(#""arguments": {"#) && calls.contains(#""replicas": 3"#), "an integer parameter arrives as a number")
        #expect(throws: ActionError.self) {
            try c.prepare("mcp.pod-status", parameters: ["namespace": "payments; rm -rf /", "replicas": "3"])
        }
    }

    @Test func toolErrorsTimeoutsAndSecretsAreHandled() async throws {
        let c = try catalog()
        let executor = ActionExecutor(catalog: c)
        let failed = try await executor.run(try c.prepare("mcp.failing", parameters: [:]))
        #expect(failed.exitStatus == 1)
        #expect(failed.output.contains("backend refused"))
        let hung = try await executor.run(try c.prepare("mcp.hang", parameters: [:]))
        #expect(hung.timedOut)
        #expect(hung.exitStatus != 0)
        let leaked = try await executor.run(try c.prepare("mcp.leak", parameters: [:]))
        #expect(leaked.output.contains("token=[REDACTED]"))
        #expect(!leaked.output.contains("s3cr3t"))
    }

    @Test func anActionOnAServerThatIsNotConfiguredDoesNotLoad() {
        #expect(throws: ActionError.self) { try catalog(server: "elsewhere") }
        #expect(throws: ActionError.self) {
            try ActionCatalog.load(yaml: """
                mcp_servers: {bad: {command: [relative/path]}}
                actions: []
                """)
        }
    }
}
