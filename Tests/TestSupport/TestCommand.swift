import Foundation

/// Runs a command-line program of this repository as a user would, without holding a thread of the
/// concurrency pool while it runs: the tests share two of them on this machine, and two commands waited for
/// synchronously stall every other test. Output goes to files, so no pipe fills up.
public enum TestCommand {
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: Data
        public var stderr: String
    }

    public static func run(_ executable: String, _ arguments: [String], environment: [String: String]) async throws -> Result {
        let repo = TestSchemas.repositoryRoot
        let dir = TestScratch.path("cmd")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let outURL = dir.appendingPathComponent("stdout"), errURL = dir.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        let p = Process()
        // A path of the repository (`.build/debug/aiops`), or an absolute one (`/bin/bash`).
        p.executableURL = executable.hasPrefix("/") ? URL(fileURLWithPath: executable) : repo.appendingPathComponent(executable)
        p.currentDirectoryURL = repo
        p.arguments = arguments
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        p.standardOutput = out
        p.standardError = err
        let status: Int32 = try await withCheckedThrowingContinuation { done in
            p.terminationHandler = { done.resume(returning: $0.terminationStatus) }
            do { try p.run() } catch { p.terminationHandler = nil; done.resume(throwing: error) }
        }
        try out.close()
        try err.close()
        return Result(status: status, stdout: try Data(contentsOf: outURL),
                      stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
    }
}
