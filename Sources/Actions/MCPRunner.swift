import Foundation
import Logging
import MCP
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// Calls one tool on an MCP server through the MCP Swift SDK's client. A stdio
/// server is started for the call in its own process group (the deadline, or
/// the end of the call, stops the whole group); an HTTP server is reached over
/// the Streamable HTTP transport. Text content becomes the output; `isError`
/// or a protocol failure is a non-zero exit status.
enum MCPRunner {
    /// The result's output is the tool's raw text (the executor redacts, then truncates).
    static func call(_ call: MCPCall, timeout: Double, limit: Int) async -> ActionResult {
        let arguments = call.arguments.mapValues { a -> Value in
            switch a {
            case .string(let s): .string(s)
            case .integer(let i): .int(i)
            case .boolean(let b): .bool(b)
            }
        }
        var process: StdioProcess?
        let transport: any Transport
        do {
            if let argv = call.server.command {
                let p = try StdioProcess(argv: argv, env: ChildEnvironment.make(passing: call.server.passEnv ?? [],
                                                                                 setting: call.server.env ?? [:]))
                process = p
                transport = StdioTransport(input: FileDescriptor(rawValue: p.fromServer), output: FileDescriptor(rawValue: p.toServer))
            } else if let raw = call.server.url, let url = URL(string: raw) {
                transport = HTTPClientTransport(endpoint: url, streaming: false)
            } else {
                return failure("mcp server \(call.serverName) has no command or url", limit: limit)
            }
        } catch {
            return failure("cannot start mcp server \(call.serverName): \(error)", limit: limit)
        }
        let client = Client(name: "aiops-executor", version: "1.0.0")
        typealias Outcome = Result<(content: [Tool.Content], isError: Bool?), any Error>
        let outcome: Outcome? = await withTaskGroup(of: Optional<Outcome>.self) { group in
            group.addTask {
                await Result {
                    _ = try await client.connect(transport: transport)
                    return try await client.callTool(name: call.tool, arguments: arguments)
                }
            }
            group.addTask {
                try? await Task.sleep(for: .milliseconds(Int(timeout * 1000)))
                return nil
            }
            let first = await group.next() ?? nil
            // On a timeout the call is still waiting for its answer: disconnecting fails it, so the group can end.
            await client.disconnect()
            group.cancelAll()
            return first
        }
        // Stop the server (its EOF ends the transport's read loop), let the loop see it, then release the pipe.
        process?.terminate()
        if process != nil { try? await Task.sleep(for: .milliseconds(30)) }
        process?.closeOutput()
        guard let outcome else {
            var r = failure("mcp \(call.serverName)/\(call.tool) timed out after \(timeout) s", limit: limit)
            r.timedOut = true
            return r
        }
        switch outcome {
        case .failure(let error):
            return failure("mcp \(call.serverName)/\(call.tool): \(error)", limit: limit)
        case .success(let r):
            var text = ""
            for c in r.content {
                switch c {
                case .text(let t, _, _): text += t + "\n"
                case .image(_, let mime, _, _): text += "[image \(mime)]\n"
                case .audio(_, let mime, _, _): text += "[audio \(mime)]\n"
                case .resource(let resource, _, _): text += "[resource \(resource.uri)]\n"
                case .resourceLink(let uri, let name, _, _, _, _): text += "[resource link \(name): \(uri)]\n"
                }
            }
            let capture = Redaction.captureLimit(limit)
            return ActionResult(exitStatus: r.isError == true ? 1 : 0, durationMs: 0,
                                output: String(decoding: Array(text.utf8).prefix(capture), as: UTF8.self),
                                truncated: text.utf8.count > capture, timedOut: false)
        }
    }

    static func failure(_ message: String, limit: Int) -> ActionResult {
        ActionResult(exitStatus: -1, durationMs: 0, output: message, truncated: false, timedOut: false)
    }
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}

/// A stdio MCP server: its own process group, stdin/stdout as pipes, stderr discarded.
final class StdioProcess: @unchecked Sendable {
    let pid: pid_t
    let toServer: Int32
    let fromServer: Int32
    private var stopped = false
    private let lock = NSLock()

    /// `env` is the server's whole environment.
    init(argv: [String], env: [String: String]) throws {
        var input: [Int32] = [0, 0]
        var output: [Int32] = [0, 0]
        guard pipe(&input) == 0, pipe(&output) == 0 else { throw ActionError(.launch, "pipe failed") }
        let pid: pid_t
        do {
            pid = try ProcessSpawn.start(argv, stdin: .descriptor(input[0]), stdout: .descriptor(output[1]), stderr: .devNull,
                                         alsoClose: [input[1], output[0]], environment: env)
        } catch {
            for fd in input + output { close(fd) }
            throw error
        }
        close(input[0])
        close(output[1])
        self.pid = pid
        toServer = input[1]
        fromServer = output[0]
    }

    /// Ends the server's whole process group and reaps it; idempotent.
    func terminate() {
        lock.lock()
        defer { lock.unlock() }
        guard !stopped else { return }
        stopped = true
        close(toServer)
        kill(-pid, SIGTERM)
        var status: Int32 = 0
        for _ in 0..<20 {
            if waitpid(pid, &status, WNOHANG) == pid { break }
            usleep(25_000)
        }
        kill(-pid, SIGKILL)
        _ = waitpid(pid, &status, 0)
    }

    /// Closes the server's stdout once nothing reads it anymore.
    func closeOutput() { close(fromServer) }
}
