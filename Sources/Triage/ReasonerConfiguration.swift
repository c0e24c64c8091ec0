import Actions
import DaemonRuntime

/// reasoner's configuration. Each field: flag > environment > default.
public struct ReasonerConfiguration: DaemonConfiguration {
    public static let daemon = "reasoner"
    public static let abstract = "Proposes diagnostics and triage from the retrieved evidence, within bounds."
    static let consumer = ConsumerSettings(prefix: "REASONER", group: DaemonGroup.reasoner.rawValue, port: 9100)
    static let catalog = Setting("ACTIONS_CATALOG", default: "examples/actions/catalog.yaml", "the action catalog")
    static let planner = Setting("REASONER_PLANNER", default: "builtin", "`builtin` (no LLM) or `llm`")
    static let maxIterations = Setting("REASONER_MAX_ITERATIONS", default: "10", "proposals + triage per incident")
    static let maxWall = Setting("REASONER_MAX_WALL_SECONDS", default: "1800", "time since the incident opened")
    static let maxTokens = Setting("REASONER_MAX_TOKENS", default: "60000", "planner tokens per incident")
    static let noProgress = Setting("REASONER_NO_PROGRESS", default: "3", "diagnostics without new evidence before it concludes")
    static let diagnostics = Setting("REASONER_DIAGNOSTICS", default: "true", "propose read-only diagnostics before the triage")
    static let concurrency = Setting("REASONER_CONCURRENCY", default: "16",
                                     "incidents planned side by side (one slow planner call holds up only its own incident); 1: one record at a time")
    public static let settings = CommonConfiguration.settings + SnapshotConfiguration.settings + consumer.all
        + [catalog, planner, maxIterations, maxWall, maxTokens, noProgress, diagnostics, concurrency] + LLMConfiguration.settings

    public enum PlannerKind: String, Sendable { case builtin, llm }

    public var common: CommonConfiguration
    /// Start-up snapshots (off unless AIOPS_STATE_DIR is set).
    public var snapshot = SnapshotConfiguration(directory: nil)
    public var endpoint: ConsumerEndpoint
    public var catalogPath: String
    public var planner: PlannerKind
    public var bounds: ReasonerBounds
    public var llm: LLMConfiguration
    public var concurrency: Int

    public init(_ src: ConfigSource) throws {
        common = try CommonConfiguration(service: Self.daemon, src)
        snapshot = try SnapshotConfiguration(src)
        endpoint = try Self.consumer.read(src)
        catalogPath = try src.string(Self.catalog)
        let kind = try src.string(Self.planner)
        guard let p = PlannerKind(rawValue: kind) else { throw ConfigError("REASONER_PLANNER must be builtin or llm, not \(kind)") }
        planner = p
        bounds = ReasonerBounds(maxIterations: try src.int(Self.maxIterations), maxWallSeconds: try src.double(Self.maxWall),
                                maxTokens: try src.int(Self.maxTokens), noProgressIterations: try src.int(Self.noProgress),
                                diagnostics: try src.bool(Self.diagnostics))
        llm = try LLMConfiguration(src)
        concurrency = try src.int(Self.concurrency)
        guard concurrency >= 1 else { throw ConfigError("REASONER_CONCURRENCY must be at least 1, not \(concurrency)") }
    }
}
