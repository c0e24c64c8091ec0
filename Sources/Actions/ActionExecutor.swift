import Foundation
import HTTPClient
#if canImport(Glibc)
import Glibc
#endif

/// The outcome of running an action.
public struct ActionResult: Sendable, Hashable, Codable {
    public var exitStatus: Int32
    public var durationMs: Int
    /// Output (stdout and stderr interleaved, or the HTTP status line and body),
    /// truncated to the action's limit and redacted.
    public var output: String
    public var truncated: Bool
    public var timedOut: Bool

    public var succeeded: Bool { exitStatus == 0 && !timedOut }

    enum CodingKeys: String, CodingKey {
        case output, truncated
        case exitStatus = "exit_status", durationMs = "duration_ms", timedOut = "timed_out"
    }
}

/// Runs prepared actions: argv without a shell in its own process group (a
/// timeout kills the whole group), an HTTP GET to an allowed host, an MCP
/// tool call, or a query to the catalog's Prometheus.
public struct ActionExecutor: Sendable {
    public let catalog: ActionCatalog

    public init(catalog: ActionCatalog) { self.catalog = catalog }

    public func run(_ action: PreparedAction) async throws -> ActionResult {
        let start = ContinuousClock.now
        var result: ActionResult
        let limit = action.definition.outputLimitBytes
        // Every runner captures more than the limit: the output is redacted whole, then cut.
        let capture = Redaction.captureLimit(limit)
        switch action.definition.runner {
        case .command, .kubectl:
            let argv = action.argv
            let timeout = action.definition.timeoutSeconds
            let environment = action.definition.childEnvironment
            result = try await withCheckedThrowingContinuation { c in
                Thread { c.resume(with: Result { try Self.spawn(argv, environment: environment, timeout: timeout, limit: capture) }) }
                    .start()
            }
        case .mcp:
            result = await MCPRunner.call(action.mcp!, timeout: action.definition.timeoutSeconds, limit: limit)
        case .prometheus:
            result = await PrometheusRunner.run(action)
        case .http:
            let client = try HTTPClient()
            do {
                let r = try await client.request("GET", action.url!.absoluteString,
                                                 timeout: .milliseconds(Int(action.definition.timeoutSeconds * 1000)),
                                                 maxResponseBytes: capture)
                result = ActionResult(exitStatus: r.status >= 200 && r.status < 400 ? 0 : Int32(r.status),
                                      durationMs: 0, output: "HTTP \(r.status)\n" + String(decoding: r.body, as: UTF8.self),
                                      truncated: r.truncated, timedOut: false)
            } catch let e as HTTPClientError {
                result = ActionResult(exitStatus: -1, durationMs: 0, output: e.description, truncated: false,
                                      timedOut: e.code == .timedOut)
            }
        }
        let d = ContinuousClock.now - start
        result.durationMs = Int(d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000)
        (result.output, result.truncated) = catalog.redaction.finish(Array(result.output.utf8), limit: limit,
                                                                     alreadyTruncated: result.truncated)
        return result
    }

    /// Replaces every match of the catalog's redaction patterns.
    public func redact(_ text: String) -> String { catalog.redaction.apply(text) }

    /// posix_spawn in a new process group, output through a pipe, killed as a group at the deadline.
    static func spawn(_ argv: [String], environment: [String: String], timeout: Double, limit: Int) throws -> ActionResult {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw ActionError(.launch, "pipe failed") }
        let pid: pid_t
        do {
            pid = try ProcessSpawn.start(argv, stdin: .devNull, stdout: .descriptor(fds[1]), stderr: .descriptor(fds[1]),
                                         alsoClose: [fds[0]], environment: environment)
        } catch {
            close(fds[0])
            close(fds[1])
            throw error
        }
        close(fds[1])
        let deadline = Date().addingTimeInterval(timeout)
        var output: [UInt8] = []
        var truncated = false
        var timedOut = false
        var buffer = [UInt8](repeating: 0, count: 8192)
        var pfd = pollfd(fd: fds[0], events: Int16(POLLIN), revents: 0)
        while true {
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 { timedOut = true; break }
            let ready = poll(&pfd, 1, Int32(min(remaining, 0.2) * 1000))
            if ready < 0 && errno != EINTR { break }
            if ready <= 0 { continue }
            let n = read(fds[0], &buffer, buffer.count)
            if n <= 0 { break } // EOF: every writer in the group is gone
            let room = max(0, limit - output.count)
            output.append(contentsOf: buffer[0..<min(n, room)])
            if n > room { truncated = true }
        }
        close(fds[0])
        var status: Int32 = 0
        // The deadline holds after EOF too: a child that closed its output may still be running.
        var reaped = false
        while !timedOut {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { reaped = true; break }
            if r < 0 && errno != EINTR { reaped = true; break }
            if deadline.timeIntervalSinceNow <= 0 { timedOut = true; break }
            usleep(5_000)
        }
        if timedOut && !reaped {
            kill(-pid, SIGTERM)
            usleep(200_000)
            kill(-pid, SIGKILL)
        }
        if !reaped { while waitpid(pid, &status, 0) < 0 && errno == EINTR {} }
        // Anything the group left behind goes too.
        kill(-pid, SIGKILL)
        let exited = (status & 0x7f) == 0
        let code = exited ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return ActionResult(exitStatus: code, durationMs: 0, output: String(decoding: output, as: UTF8.self),
                            truncated: truncated, timedOut: timedOut)
    }
}
