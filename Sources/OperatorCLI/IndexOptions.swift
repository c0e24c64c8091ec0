import ArgumentParser
import DaemonRuntime
import Retrieval

/// Options for commands that read the index.
public struct IndexOptions: ParsableArguments {
    public init() {}
    @Option(help: "PostgreSQL URL (DATABASE_URL).") public var databaseURL: String?

    public func store() throws -> (IndexStore, EmbeddingsClient) {
        let src = ConfigSource()
        let config = try EmbeddingsConfiguration(src)
        let url = src.string(databaseURL, env: "DATABASE_URL", default: DatabaseSettings.url.defaultValue!)
        return (IndexStore(url: url, dimensions: config.dimensions, logger: cliLogger()),
                try EmbeddingsClient(configuration: config, logger: cliLogger()))
    }
}
