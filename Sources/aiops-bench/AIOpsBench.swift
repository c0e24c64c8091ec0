import ArgumentParser

/// aiops-bench: the benchmarks, kept out of the production binaries. `aiops bench …`
/// runs this executable from the same directory.
@main
struct AIOpsBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aiops bench", abstract: "Benchmarks that print figures.",
        subcommands: [IngestBench.self, RetrievalBench.self, IndexBench.self, TriageBench.self, StartupBench.self, OTLPSink.self])
}
