import Crypto
import Foundation

/// What a planner spent on one reasoner event: the planner, the model, the
/// tokens of every call (failed attempts included). The reasoner's token bound
/// per incident is the sum over the incident's events, so it survives restarts.
public struct PlannerUsage: Sendable, Hashable, Codable {
    public var planner: String
    public var model: String?
    public var calls: Int
    public var promptTokens: Int
    public var completionTokens: Int
    public var totalTokens: Int { promptTokens + completionTokens }
    public init(planner: String, model: String? = nil, calls: Int = 0, promptTokens: Int = 0, completionTokens: Int = 0) {
        self.planner = planner; self.model = model; self.calls = calls
        self.promptTokens = promptTokens; self.completionTokens = completionTokens
    }
    public static func + (a: PlannerUsage, b: PlannerUsage) -> PlannerUsage {
        PlannerUsage(planner: a.planner, model: a.model ?? b.model, calls: a.calls + b.calls,
                     promptTokens: a.promptTokens + b.promptTokens, completionTokens: a.completionTokens + b.completionTokens)
    }
    enum CodingKeys: String, CodingKey {
        case planner, model, calls
        case promptTokens = "prompt_tokens", completionTokens = "completion_tokens"
    }
}
