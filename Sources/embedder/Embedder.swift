import DaemonRuntime
import Embedding

/// embedder: keeps the corpus index in PostgreSQL + pgvector in step with `aiops.corpus.v1`.
@main
enum Embedder {
    static func main() async {
        await DaemonMain.run(EmbedderConfiguration.self) { configuration, registry, logger in
            try await buildEmbedder(configuration, registry: registry, logger: logger)
        }
    }
}
