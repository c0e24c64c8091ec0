/// Bounds of the agent loop per incident.
public struct ReasonerBounds: Sendable {
    /// Proposals + triage the reasoner may append per incident.
    public var maxIterations = 10
    /// Time since the incident opened after which it escalates instead of proposing.
    public var maxWallSeconds: Double = 1_800
    /// Tokens the planner may spend per incident (the LLM planner; the built-in spends none).
    public var maxTokens = 60_000
    /// Diagnostics in a row that brought no new evidence (failed, or output seen before) before the loop concludes.
    public var noProgressIterations = 3
    /// Propose read-only diagnostics before the triage (off: triage straight after retrieval).
    public var diagnostics = true
    public init(maxIterations: Int = 10, maxWallSeconds: Double = 1_800, maxTokens: Int = 60_000,
                noProgressIterations: Int = 3, diagnostics: Bool = true) {
        self.maxIterations = maxIterations
        self.maxWallSeconds = maxWallSeconds
        self.maxTokens = maxTokens
        self.noProgressIterations = noProgressIterations
        self.diagnostics = diagnostics
    }
}
