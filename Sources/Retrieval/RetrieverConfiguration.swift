import DaemonRuntime

/// retriever's configuration. Each field: flag > environment > default.
public struct RetrieverConfiguration: DaemonConfiguration {
    public static let daemon = "retriever"
    public static let abstract = "Appends RetrievalCompleted (top postmortems and runbooks, cited to the section) to new incidents."
    static let consumer = ConsumerSettings(prefix: "RETRIEVER", group: DaemonGroup.retriever.rawValue, port: 9097)
    static let minSimilarity = Setting("RETRIEVAL_MIN_SIMILARITY", default: "0.78", "sanity floor on the best section's cosine similarity; relevance is decided by lexical coverage and score margin (docs/retrieval.md)")
    static let postmortems = Setting("RETRIEVAL_POSTMORTEMS", default: "5", "similar past incidents per retrieval")
    static let runbooks = Setting("RETRIEVAL_RUNBOOKS", default: "5", "runbooks per retrieval")
    public static let settings = CommonConfiguration.settings + [DatabaseSettings.url] + EmbeddingsConfiguration.settings
        + SecondEncoderConfiguration.settings + consumer.all + [minSimilarity, postmortems, runbooks]

    public var common: CommonConfiguration
    public var databaseURL: String
    public var embeddings: EmbeddingsConfiguration
    /// The second encoder, when one is configured.
    public var secondEmbeddings: EmbeddingsConfiguration?
    public var endpoint: ConsumerEndpoint
    public var minSimilarity: Double
    public var postmortems: Int
    public var runbooks: Int

    public init(_ src: ConfigSource) throws {
        common = try CommonConfiguration(service: Self.daemon, src)
        databaseURL = try src.string(DatabaseSettings.url)
        embeddings = try EmbeddingsConfiguration(src)
        secondEmbeddings = try SecondEncoderConfiguration.read(src, first: embeddings)
        endpoint = try Self.consumer.read(src)
        minSimilarity = try src.double(Self.minSimilarity)
        postmortems = try src.int(Self.postmortems)
        runbooks = try src.int(Self.runbooks)
    }
}
