import DaemonRuntime

/// A second sentence encoder whose cosines join the first's in the ranking (docs/retrieval.md): off unless
/// `SECOND_EMBEDDINGS_URL` is set. The local stack runs all-MiniLM-L6-v2 (`scripts/minilm-serve.py`). Its
/// vectors are compared only with the candidates the first encoder and full-text search found, so it adds one
/// small request per query and no index.
public enum SecondEncoderConfiguration {
    static let url = Setting("SECOND_EMBEDDINGS_URL", default: "",
                             "OpenAI-compatible base URL (up to `/v1`) of a second encoder ranked beside the first; empty: the first alone")
    static let model = Setting("SECOND_EMBEDDINGS_MODEL", default: "all-MiniLM-L6-v2", "recorded per chunk; a change re-embeds (the embedder backfills at start)")
    static let dimensions = Setting("SECOND_EMBEDDINGS_DIMENSIONS", default: "384", "the second model's vector size")
    public static let settings = [url, model, dimensions]

    /// The second encoder's client settings, nil when none is configured. It shares the first's timeout,
    /// retries and batch size, never sends `input_type` and never adds prefixes (a plain sentence encoder).
    public static func read(_ src: ConfigSource, first: EmbeddingsConfiguration) throws -> EmbeddingsConfiguration? {
        let base = try src.string(url)
        guard !base.isEmpty else { return nil }
        var c = first
        c.baseURL = base
        c.model = try src.string(model)
        c.dimensions = try src.int(dimensions)
        c.apiKey = nil
        c.sendInputType = false
        c.prefixes = .never
        guard c.model != first.model else {
            throw ConfigError("SECOND_EMBEDDINGS_MODEL is \(c.model), the same as EMBEDDINGS_MODEL: a second encoder must be another model")
        }
        return c
    }
}
