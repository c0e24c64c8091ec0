import Corpus
import DaemonRuntime
import Retrieval

/// embedder's configuration. Each field: flag > environment > default.
public struct EmbedderConfiguration: DaemonConfiguration {
    public static let daemon = "embedder"
    public static let abstract = "Chunks and embeds ops-handbook documents from aiops.corpus.v1 into PostgreSQL + pgvector."
    public static let consumer = ConsumerSettings(prefix: "EMBEDDER", group: DaemonGroup.embedder.rawValue, port: 9096)
    static let chunkMax = Setting("CHUNK_MAX_CHARS", default: "1200", "longest chunk; longer sections are split on lines")
    static let chunkOverlap = Setting("CHUNK_OVERLAP_CHARS", default: "200", "overlap of split sections")
    public static let settings = CommonConfiguration.settings + [DatabaseSettings.url] + EmbeddingsConfiguration.settings
        + SecondEncoderConfiguration.settings + consumer.all + [chunkMax, chunkOverlap]

    public var common: CommonConfiguration
    public var databaseURL: String
    public var embeddings: EmbeddingsConfiguration
    /// The second encoder, when one is configured.
    public var secondEmbeddings: EmbeddingsConfiguration?
    public var endpoint: ConsumerEndpoint
    public var chunker: Chunker

    public init(_ src: ConfigSource) throws {
        common = try CommonConfiguration(service: Self.daemon, src)
        databaseURL = try src.string(DatabaseSettings.url)
        embeddings = try EmbeddingsConfiguration(src)
        secondEmbeddings = try SecondEncoderConfiguration.read(src, first: embeddings)
        endpoint = try Self.consumer.read(src)
        chunker = Chunker(maxCharacters: try src.int(Self.chunkMax), overlapCharacters: try src.int(Self.chunkOverlap))
    }
}
