import DaemonRuntime

/// Where and how the LLM planner talks to an OpenAI-compatible
/// `/v1/chat/completions` endpoint (OpenAI, vLLM, llama.cpp server, Ollama, LiteLLM…).
public struct LLMConfiguration: Sendable {
    /// Base URL up to and including `/v1`.
    public var baseURL = "http://127.0.0.1:8080/v1"
    public var model = "gpt-4o-mini"
    public var apiKey: String?
    public var timeoutMs = 60_000
    /// `max_tokens` of one completion (also capped by what the incident has left).
    public var maxCompletionTokens = 1_024
    /// Answers that are not one valid tool call are sent back with the error this many times in all.
    public var attempts = 3
    /// Transport errors, 429 and 5xx are retried this many times in all, with backoff.
    public var retries = 3
    /// `tool_choice` to send: "required" (OpenAI and most servers) or "auto" for servers without it.
    public var toolChoice = "required"
    /// Characters of one evidence section, of one action's output, and of all evidence in a prompt.
    public var sectionChars = 1_500
    public var outputChars = 4_000
    public var evidenceChars = 30_000

    public init() {}

    static let url = Setting("LLM_URL", default: "http://127.0.0.1:8080/v1", "OpenAI-compatible base URL, up to and including `/v1`")
    static let model = Setting("LLM_MODEL", default: "gpt-4o-mini", "model name")
    static let apiKey = Setting("LLM_API_KEY", secret: true, "bearer token")
    static let timeout = Setting("LLM_TIMEOUT_MS", default: "60000", "per completion request")
    static let maxCompletion = Setting("LLM_MAX_COMPLETION_TOKENS", default: "1024", "`max_tokens` of one completion")
    static let attempts = Setting("LLM_ATTEMPTS", default: "3", "answers that are not one valid tool call are sent back this many times in all")
    static let retries = Setting("LLM_RETRIES", default: "3", "attempts on transport errors, 429, 5xx")
    static let toolChoice = Setting("LLM_TOOL_CHOICE", default: "required", "`required` or `auto` (servers without `required`)")
    public static let settings = [url, model, apiKey, timeout, maxCompletion, attempts, retries, toolChoice]

    public init(_ src: ConfigSource) throws {
        baseURL = try src.string(Self.url)
        model = try src.string(Self.model)
        apiKey = try src.optional(Self.apiKey)
        timeoutMs = try src.int(Self.timeout)
        maxCompletionTokens = try src.int(Self.maxCompletion)
        attempts = try src.int(Self.attempts)
        retries = try src.int(Self.retries)
        toolChoice = try src.string(Self.toolChoice)
        guard ["required", "auto"].contains(toolChoice) else {
            throw ConfigError("LLM_TOOL_CHOICE must be required or auto, not \(toolChoice)")
        }
    }
}
