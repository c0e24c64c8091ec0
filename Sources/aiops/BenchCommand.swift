import ArgumentParser
import Foundation
import OperatorCLI
#if canImport(Glibc)
import Glibc
#endif

/// `aiops bench …` runs `aiops-bench …` from the same directory: the benchmarks
/// are their own executable, not part of this one.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks that print figures (ingest, index, retrieval, triage); runs aiops-bench.")
    @Argument(parsing: .captureForPassthrough, help: "The benchmark and its options (see aiops bench --help).")
    var arguments: [String] = []

    func run() throws {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("aiops-bench").path
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw ValidationError("\(binary) not found: build it with `swift build -c release --product aiops-bench`")
        }
        let argv = [binary] + arguments
        var cargs = argv.map { strdup($0) } + [nil]
        execv(binary, &cargs)
        throw ValidationError("cannot run \(binary): \(String(cString: strerror(errno)))")
    }
}
