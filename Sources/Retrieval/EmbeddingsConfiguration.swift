import DaemonRuntime

/// Settings of an OpenAI-compatible `POST /v1/embeddings` server.
public struct EmbeddingsConfiguration: Sendable {
    static let url = Setting("EMBEDDINGS_URL", default: "http://127.0.0.1:8089/v1", "OpenAI-compatible base URL, up to and including `/v1`")
    static let model = Setting("EMBEDDINGS_MODEL", default: "multilingual-e5-small", "recorded per chunk; a change re-embeds")
    static let apiKey = Setting("EMBEDDINGS_API_KEY", secret: true, "bearer token")
    static let inputType = Setting("EMBEDDINGS_INPUT_TYPE", default: "true", "send `input_type` passage/query (e5-style models)")
    static let prefixes = Setting("EMBEDDINGS_PREFIXES", default: "auto",
                                  "`auto`: for e5 models, add `query: `/`passage: ` to the texts when the server ignores `input_type` (probed once); `always`; `never`. A change needs `aiops corpus reembed`")
    static let dimensions = Setting("EMBEDDINGS_DIMENSIONS", default: "384", "`vector(N)` of the index")
    static let batchSize = Setting("EMBEDDINGS_BATCH_SIZE", default: "32", "texts per request")
    static let timeout = Setting("EMBEDDINGS_TIMEOUT_MS", default: "60000", "per request")
    static let retries = Setting("EMBEDDINGS_RETRIES", default: "4", "attempts on transport errors, 429, 5xx")
    public static let settings = [url, model, apiKey, inputType, prefixes, dimensions, batchSize, timeout, retries]

    /// Whether the client writes e5's `query: ` / `passage: ` prefixes into the texts itself.
    public enum Prefixes: String, Sendable { case auto, always, never }

    /// Base URL up to and including `/v1`.
    public var baseURL = "http://127.0.0.1:8089/v1"
    /// Recorded on every chunk; a change re-embeds.
    public var model = "multilingual-e5-small"
    /// Sent as a bearer token when set.
    public var apiKey: String?
    /// Send `input_type` (passage/query) for e5-style models.
    public var sendInputType = true
    public var prefixes: Prefixes = .auto
    /// Vector size; the index is created with it.
    public var dimensions = 384
    /// Texts per request.
    public var batchSize = 32
    public var timeoutMs = 60_000
    /// Attempts per request on transport errors, 429 and 5xx.
    public var retries = 4

    public init() {}

    public init(_ src: ConfigSource) throws {
        baseURL = try src.string(Self.url)
        model = try src.string(Self.model)
        apiKey = try src.optional(Self.apiKey)
        sendInputType = try src.bool(Self.inputType)
        let p = try src.string(Self.prefixes)
        guard let mode = Prefixes(rawValue: p) else { throw ConfigError("EMBEDDINGS_PREFIXES must be auto, always or never, not \(p)") }
        prefixes = mode
        dimensions = try src.int(Self.dimensions)
        batchSize = try src.int(Self.batchSize)
        timeoutMs = try src.int(Self.timeout)
        retries = try src.int(Self.retries)
    }
}

/// `DATABASE_URL`: the corpus index (PostgreSQL + pgvector).
public enum DatabaseSettings {
    public static let url = Setting("DATABASE_URL", default: "postgresql://aiops@127.0.0.1:5433/aiops", secret: true,
                                    "libpq URL of the index (a password is better in `~/.pgpass` or `DATABASE_URL_FILE`)")
}
