import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The test process's scratch directory, `/tmp/aiops-test-<pid>`: every file a test
/// writes (handbooks, state directories, the PostgreSQL cluster) goes under it.
///
/// It is removed when the process exits, and directories left by test processes that
/// no longer run (killed, crashed before their exit handlers) are removed when the next
/// one starts — a PostgreSQL cluster is ~500 MB, and leaking one per run filled the disk
/// until the server PANICked mid-suite ("No space left on device").
public enum TestScratch {
    static let prefix = "aiops-test-"

    public static let root: URL = {
        sweep()
        let dir = URL(fileURLWithPath: "/tmp/\(prefix)\(getpid())")
        try? FileManager.default.removeItem(at: dir)
        try! FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        // Traversable by the unprivileged user PostgreSQL runs as when the tests run as root.
        chmod(dir.path, 0o755)
        atexit { try? FileManager.default.removeItem(atPath: "/tmp/\(TestScratch.prefix)\(getpid())") }
        return dir
    }()

    /// A fresh path `<root>/<name>-<uuid><suffix>`, not created.
    public static func path(_ name: String, suffix: String = "") -> URL {
        root.appendingPathComponent("\(name)-\(UUID().uuidString)\(suffix)")
    }

    /// A fresh directory `<root>/<name>-<uuid>`, created.
    public static func directory(_ name: String) -> URL {
        let dir = path(name)
        try! FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Removes `/tmp/aiops-test-<pid>` (and the older `/tmp/aiops-test-pg-<pid>`) of
    /// processes that are gone, first stopping a PostgreSQL server such a process left running.
    public static func sweep() {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/tmp") else { return }
        for name in names where name.hasPrefix(prefix) {
            let tail = name.dropFirst(prefix.count)
            guard let pid = pid_t(tail.hasPrefix("pg-") ? tail.dropFirst(3) : tail), pid != getpid(),
                  kill(pid, 0) != 0, errno == ESRCH else { continue }
            let dir = "/tmp/" + name
            // Immediate shutdown of a server such a process left running.
            for data in [dir + "/pg/data", dir + "/data"] { TestPostgres.stop(dataDirectory: data, signal: SIGQUIT, seconds: 5) }
            try? FileManager.default.removeItem(atPath: dir)
        }
    }
}
