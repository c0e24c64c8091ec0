import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The daemons as their own processes (the binaries `swift build` put next to
/// the test bundle), each with its environment and a log file: for tests that
/// need what only separate processes have (one OTel resource per daemon).
public final class TestDaemonProcesses: @unchecked Sendable {
    // @unchecked: `processes` is only touched by the test that owns this value, start to stop.
    public let directory: URL
    private var processes: [String: Process] = [:]

    /// Where the daemon binaries are: the directory of the running test bundle.
    public static let binDirectory: URL = {
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        while !FileManager.default.isExecutableFile(atPath: url.appendingPathComponent("alert-ingestor").path), url.path != "/" {
            url.deleteLastPathComponent()
        }
        return url
    }()

    public static var isAvailable: Bool {
        FileManager.default.isExecutableFile(atPath: binDirectory.appendingPathComponent("alert-ingestor").path)
    }

    public init() throws {
        directory = TestScratch.path("daemons")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    public func start(_ daemon: String, environment: [String: String]) throws {
        let log = directory.appendingPathComponent("\(daemon).log")
        guard FileManager.default.createFile(atPath: log.path, contents: nil) else {
            throw TestEnvironmentError("cannot create \(log.path)")
        }
        let p = Process()
        p.executableURL = Self.binDirectory.appendingPathComponent(daemon)
        p.environment = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"].merging(environment) { _, b in b }
        let out = try FileHandle(forWritingTo: log)
        p.standardOutput = out
        p.standardError = out
        try p.run()
        processes[daemon] = p
    }

    /// What a daemon printed so far (for failure messages).
    public func log(_ daemon: String) -> String {
        (try? String(contentsOf: directory.appendingPathComponent("\(daemon).log"), encoding: .utf8)) ?? ""
    }

    /// SIGTERM to every daemon (a graceful stop flushes what they buffer), SIGKILL after `grace`.
    public func stop(grace: TimeInterval = 25) {
        for p in processes.values where p.isRunning { p.terminate() }
        let deadline = Date().addingTimeInterval(grace)
        for p in processes.values {
            while p.isRunning && Date() < deadline { usleep(50_000) }
            if p.isRunning { kill(p.processIdentifier, SIGKILL); p.waitUntilExit() }
        }
        processes = [:]
    }

    deinit {
        stop(grace: 5)
        try? FileManager.default.removeItem(at: directory)
    }
}
