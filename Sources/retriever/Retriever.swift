import DaemonRuntime
import Retrieval

/// retriever: answers every new incident with the past postmortems and runbooks that match it.
@main
enum Retriever {
    static func main() async {
        await DaemonMain.run(RetrieverConfiguration.self) { configuration, registry, logger in
            try await buildRetriever(configuration, registry: registry, logger: logger)
        }
    }
}
