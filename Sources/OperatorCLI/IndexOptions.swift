import ArgumentParser
import DaemonRuntime
import Retrieval

/// Options for commands that read the index.
public struct IndexOptions: ParsableArguments {
    public init() {}
    @Option(help: "PostgreSQL URL (DATABASE_URL).") public var databaseURL: String?

    /// The index and the encoders the environment configures (EMBEDDINGS_*, SECOND_EMBEDDINGS_*), as the daemons see them.
    /// `--database-url`, else `DATABASE_URL`, else the local stack's.
    public var url: String {
        ConfigSource().string(databaseURL, env: "DATABASE_URL", default: DatabaseSettings.url.defaultValue!)
    }

    public struct Opened: Sendable {
        public let store: IndexStore
        public let embeddings: EmbeddingsClient
        /// The second encoder, when SECOND_EMBEDDINGS_URL is set.
        public let second: EmbeddingsClient?
        /// Hybrid search over this index with these encoders, as the retriever runs it.
        public var search: HybridSearch { HybridSearch(store: store, embeddings: embeddings, second: second) }
    }

    /// The index at `--database-url`/`DATABASE_URL`, or at `url` when given (a benchmark's own database), with the
    /// encoders the environment configures.
    public func open(url override: String? = nil) throws -> Opened {
        let src = ConfigSource()
        let config = try EmbeddingsConfiguration(src)
        let url = override ?? self.url
        return Opened(store: IndexStore(url: url, dimensions: config.dimensions, logger: cliLogger()),
                      embeddings: try EmbeddingsClient(configuration: config, logger: cliLogger()),
                      second: try SecondEncoderConfiguration.read(src, first: config).map {
                          try EmbeddingsClient(configuration: $0, logger: cliLogger())
                      })
    }
}
