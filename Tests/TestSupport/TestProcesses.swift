@_exported import DaemonRuntime
import Foundation
import HTTPClient
#if canImport(Glibc)
import Glibc
#endif

public struct TestEnvironmentError: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}

/// Finds an executable on PATH or in the usual Debian places.
public func findExecutable(_ names: [String]) -> String? {
    let path = (ProcessInfo.processInfo.environment["PATH"] ?? "") + ":/usr/bin:/usr/sbin:/usr/local/bin"
    for name in names {
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
    }
    return nil
}

/// Polls `url` until it answers 200 (a readiness probe, not a sleep-as-sync). The default allows for the first
/// seconds of a CI run, when the suites start in parallel with both embeddings servers loading on two cores (an
/// approver took over 20 s to be ready once); a daemon that never gets ready still fails.
public func waitUntilReady(_ url: String, timeout: Duration = .seconds(60)) async throws {
    let client = try HTTPClient()
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if let r = try? await client.request("GET", url, timeout: .seconds(1)), r.status == 200 { return }
        try await Task.sleep(for: .milliseconds(100))
    }
    throw TestEnvironmentError("\(url) not ready after \(timeout)")
}

/// A real Alertmanager (Debian `prometheus-alertmanager`) with its own config
/// and data dir on a loopback port, clustering off.
public final class TestAlertmanager: @unchecked Sendable {
    // @unchecked: `process` is set once in init and only terminated in `stop`.
    public let port: Int
    public let directory: URL
    private let process: Process

    public var url: String { "http://127.0.0.1:\(port)" }

    public static var isAvailable: Bool { findExecutable(["prometheus-alertmanager", "alertmanager"]) != nil }

    /// `webhookURL` receives every group; `bearerToken` is sent if set.
    public init(webhookURL: String, bearerToken: String? = nil) async throws {
        guard let binary = findExecutable(["prometheus-alertmanager", "alertmanager"]) else {
            throw TestEnvironmentError("alertmanager not installed (apt-get install prometheus-alertmanager)")
        }
        port = try freeLoopbackPort()
        directory = TestScratch.path("am")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let auth = bearerToken.map { "\n    http_config:\n      authorization:\n        credentials: \($0)" } ?? ""
        let config = """
            route:
              receiver: aiops
              group_by: ['alertname']
              group_wait: 100ms
              group_interval: 1s
              repeat_interval: 1h
            receivers:
              - name: aiops
                webhook_configs:
                  - url: \(webhookURL)
                    send_resolved: true\(auth.replacingOccurrences(of: "\n", with: "\n    "))
            """
        let configFile = directory.appendingPathComponent("alertmanager.yml")
        try config.write(to: configFile, atomically: true, encoding: .utf8)
        process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["--config.file=\(configFile.path)", "--storage.path=\(directory.path)",
                             "--web.listen-address=127.0.0.1:\(port)", "--cluster.listen-address=",
                             "--log.level=warn"]
        let log = FileHandle(forWritingAtPath: "/dev/null")
        process.standardOutput = log
        process.standardError = log
        try process.run()
        try await waitUntilReady("\(url)/-/ready")
    }

    /// Posts alerts through Alertmanager's v2 API, as Prometheus would.
    public func post(alerts: [[String: Any]]) async throws {
        let body = try JSONSerialization.data(withJSONObject: alerts)
        let r = try await HTTPClient().request("POST", "\(url)/api/v2/alerts",
                                               headers: ["Content-Type": "application/json"], body: Array(body))
        guard r.status == 200 else { throw TestEnvironmentError("alertmanager answered \(r.status): \(r.text)") }
    }

    public func stop() {
        if process.isRunning { process.terminate(); process.waitUntilExit() }
        try? FileManager.default.removeItem(at: directory)
    }

    deinit { stop() }
}

/// A real Prometheus (Debian `prometheus`) on a loopback port scraping itself
/// every second, with its own data directory.
public final class TestPrometheus: @unchecked Sendable {
    // @unchecked: `process` is set once in init and only terminated in `stop`.
    public let port: Int
    public let directory: URL
    private let process: Process

    public var url: String { "http://127.0.0.1:\(port)" }

    public static var isAvailable: Bool { findExecutable(["prometheus"]) != nil }

    /// `targets`: more `host:port` endpoints it scrapes every second (job `fixture`).
    public init(targets: [String] = []) async throws {
        guard let binary = findExecutable(["prometheus"]) else {
            throw TestEnvironmentError("prometheus not installed (apt-get install prometheus)")
        }
        port = try freeLoopbackPort()
        directory = TestScratch.path("prom")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let config = """
            global: {scrape_interval: 1s, evaluation_interval: 1s}
            scrape_configs:
              - {job_name: prometheus, static_configs: [{targets: ["127.0.0.1:\(port)"]}]}
            """ + (targets.isEmpty ? "" : "\n  - {job_name: fixture, static_configs: [{targets: [\(targets.map { "\"\($0)\"" }.joined(separator: ", "))]}]}\n")
        let configFile = directory.appendingPathComponent("prometheus.yml")
        try config.write(to: configFile, atomically: true, encoding: .utf8)
        process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["--config.file=\(configFile.path)", "--storage.tsdb.path=\(directory.path)/data",
                             "--web.listen-address=127.0.0.1:\(port)", "--log.level=warn"]
        let log = FileHandle(forWritingAtPath: "/dev/null")
        process.standardOutput = log
        process.standardError = log
        try process.run()
        try await waitUntilReady("\(url)/-/ready", timeout: .seconds(30))
    }

    /// Waits until `query` returns at least one series (the first scrapes have landed).
    public func waitForSeries(_ query: String, timeout: Duration = .seconds(30)) async throws {
        try await waitUntil(query, answerContains: "\"metric\"", timeout: timeout)
    }

    /// Waits until the answer to `query` contains `text` (e.g. a value a new scrape brought).
    public func waitUntil(_ query: String, answerContains text: String, timeout: Duration = .seconds(30)) async throws {
        let client = try HTTPClient()
        let deadline = ContinuousClock.now + timeout
        let q = query.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? query
        while ContinuousClock.now < deadline {
            if let r = try? await client.request("GET", "\(url)/api/v1/query?query=\(q)", timeout: .seconds(2)),
               r.status == 200, r.text.contains(text) { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw TestEnvironmentError("\(query) did not answer \(text) after \(timeout)")
    }

    public func stop() {
        if process.isRunning { process.terminate(); process.waitUntilExit() }
        try? FileManager.default.removeItem(at: directory)
    }

    deinit { stop() }
}
