import Crypto
import Foundation

/// Who approved an action: a named human, or a policy rule.
public struct Approver: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Codable { case human, policy }
    public var name: String
    public var kind: Kind
    public init(name: String, kind: Kind) { self.name = name; self.kind = kind }
}

/// An action cleared to run. Signed by the approver with a key it shares
/// only with the executor, so nothing else can approve.
public struct ActionApproved: Sendable, Hashable, Codable {
    /// Id of the proposal this approves; the executor runs each request at most once.
    public var requestID: String
    public var action: String
    public var parameters: [String: String]
    public var risk: String
    public var approver: Approver
    public var reason: String?
    /// Hex HMAC-SHA256 of `canonical(incidentID:)`.
    public var signature: String

    public init(requestID: String, action: String, parameters: [String: String], risk: String, approver: Approver,
                reason: String?, signature: String = "") {
        self.requestID = requestID; self.action = action; self.parameters = parameters; self.risk = risk
        self.approver = approver; self.reason = reason; self.signature = signature
    }

    enum CodingKeys: String, CodingKey {
        case action, parameters, risk, approver, reason, signature
        case requestID = "request_id"
    }

    /// What the signature covers: everything that decides what runs and who said so.
    public func canonical(incidentID: String) -> String {
        let params = parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "&")
        return [incidentID, requestID, action, risk, params, approver.name, approver.kind.rawValue].joined(separator: "\n")
    }

    public func signed(incidentID: String, key: SymmetricKey) -> ActionApproved {
        var copy = self
        copy.signature = Self.mac(copy.canonical(incidentID: incidentID), key: key)
        return copy
    }

    /// Constant-time check of the signature.
    public func hasValidSignature(incidentID: String, key: SymmetricKey) -> Bool {
        guard let given = Data(hexString: signature) else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(given, authenticating: Data(canonical(incidentID: incidentID).utf8),
                                                      using: key)
    }

    static func mac(_ text: String, key: SymmetricKey) -> String {
        Data(HMAC<SHA256>.authenticationCode(for: Data(text.utf8), using: key)).map { String(format: "%02x", $0) }.joined()
    }
}

public struct ActionStarted: Sendable, Hashable, Codable {
    public var requestID: String
    public var action: String
    public var parameters: [String: String]
    public var risk: String
    public var executor: String
    public init(requestID: String, action: String, parameters: [String: String], risk: String, executor: String) {
        self.requestID = requestID; self.action = action; self.parameters = parameters; self.risk = risk; self.executor = executor
    }
    enum CodingKeys: String, CodingKey { case action, parameters, risk, executor; case requestID = "request_id" }
}

public struct ActionExecuted: Sendable, Hashable, Codable {
    public var requestID: String
    public var action: String
    public var exitStatus: Int32
    public var durationMs: Int
    /// Truncated and redacted.
    public var output: String
    public var truncated: Bool
    public var timedOut: Bool
    public init(requestID: String, action: String, exitStatus: Int32, durationMs: Int, output: String, truncated: Bool,
                timedOut: Bool) {
        self.requestID = requestID; self.action = action; self.exitStatus = exitStatus; self.durationMs = durationMs
        self.output = output; self.truncated = truncated; self.timedOut = timedOut
    }
    enum CodingKeys: String, CodingKey {
        case action, output, truncated
        case requestID = "request_id", exitStatus = "exit_status", durationMs = "duration_ms", timedOut = "timed_out"
    }
}

/// The action did not run (refused, invalid, could not start).
public struct ActionFailed: Sendable, Hashable, Codable {
    public var requestID: String
    public var action: String
    public var error: String
    public init(requestID: String, action: String, error: String) {
        self.requestID = requestID; self.action = action; self.error = error
    }
    enum CodingKeys: String, CodingKey { case action, error; case requestID = "request_id" }
}

/// A destructive action was started but its outcome was never recorded
/// (the executor died): it is not run again; a human must look.
public struct ActionOutcomeUnknown: Sendable, Hashable, Codable {
    public var requestID: String
    public var action: String
    public var reason: String
    public init(requestID: String, action: String, reason: String) {
        self.requestID = requestID; self.action = action; self.reason = reason
    }
    enum CodingKeys: String, CodingKey { case action, reason; case requestID = "request_id" }
}

public struct IncidentEscalated: Sendable, Hashable, Codable {
    public var reason: String
    public var summary: String
    /// What the planner spent on the attempt that ended in the escalation, if anything.
    public var usage: PlannerUsage?
    public init(reason: String, summary: String, usage: PlannerUsage? = nil) {
        self.reason = reason; self.summary = summary; self.usage = usage
    }
}

extension Data {
    /// Bytes from lowercase or uppercase hex; nil for anything else.
    public init?(hexString: String) {
        guard hexString.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        var i = hexString.startIndex
        while i < hexString.endIndex {
            let j = hexString.index(i, offsetBy: 2)
            guard let b = UInt8(hexString[i..<j], radix: 16) else { return nil }
            bytes.append(b)
            i = j
        }
        self.init(bytes)
    }
}

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

/// A step the reasoner wants to take: a catalog action with parameters, why,
/// and the retrieved evidence it rests on.
public struct ActionProposed: Sendable, Hashable, Codable {
    public var action: String
    public var parameters: [String: String]
    public var rationale: String
    public var citations: [String]
    public var usage: PlannerUsage?
    public init(action: String, parameters: [String: String], rationale: String, citations: [String],
                usage: PlannerUsage? = nil) {
        self.action = action; self.parameters = parameters; self.rationale = rationale; self.citations = citations
        self.usage = usage
    }
}

/// A destructive action waits for a named human until `expiresAt`.
public struct ApprovalRequested: Sendable, Hashable, Codable {
    public var requestID: String
    public var action: String
    public var parameters: [String: String]
    public var risk: String
    public var rationale: String
    public var expiresAt: String
    public init(requestID: String, action: String, parameters: [String: String], risk: String, rationale: String,
                expiresAt: String) {
        self.requestID = requestID; self.action = action; self.parameters = parameters; self.risk = risk
        self.rationale = rationale; self.expiresAt = expiresAt
    }
    enum CodingKeys: String, CodingKey {
        case action, parameters, risk, rationale
        case requestID = "request_id", expiresAt = "expires_at"
    }
}

public struct ActionRejected: Sendable, Hashable, Codable {
    public var requestID: String
    public var action: String
    public var approver: Approver
    public var reason: String
    public init(requestID: String, action: String, approver: Approver, reason: String) {
        self.requestID = requestID; self.action = action; self.approver = approver; self.reason = reason
    }
    enum CodingKeys: String, CodingKey { case action, approver, reason; case requestID = "request_id" }
}

public struct ApprovalExpired: Sendable, Hashable, Codable {
    public var requestID: String
    public var action: String
    public init(requestID: String, action: String) { self.requestID = requestID; self.action = action }
    enum CodingKeys: String, CodingKey { case action; case requestID = "request_id" }
}

/// The reasoner's triage: ordered steps, each citing evidence this incident's
/// retrieval returned, the likely cause, the runbook to follow, what is unknown.
public struct TriageProposed: Sendable, Hashable, Codable {
    public struct Step: Sendable, Hashable, Codable {
        public var text: String
        public var citations: [String]
        public init(text: String, citations: [String]) { self.text = text; self.citations = citations }
    }
    public struct Cause: Sendable, Hashable, Codable {
        public var text: String
        public var confidence: Double
        public var citations: [String]
        public init(text: String, confidence: Double, citations: [String]) {
            self.text = text; self.confidence = confidence; self.citations = citations
        }
    }
    public var steps: [Step]
    public var likelyCause: Cause?
    /// Chunk id of the runbook section to follow.
    public var runbook: String?
    public var unknowns: [String]
    /// Steps dropped by the citation check (cited something retrieval did not return).
    public var rejectedSteps: [Step]
    /// Request ids of the diagnostics whose results the triage saw.
    public var observations: [String]
    public var usage: PlannerUsage?

    public init(steps: [Step], likelyCause: Cause?, runbook: String?, unknowns: [String], rejectedSteps: [Step],
                observations: [String], usage: PlannerUsage? = nil) {
        self.steps = steps; self.likelyCause = likelyCause; self.runbook = runbook; self.unknowns = unknowns
        self.rejectedSteps = rejectedSteps; self.observations = observations; self.usage = usage
    }

    enum CodingKeys: String, CodingKey {
        case steps, runbook, unknowns, observations, usage
        case likelyCause = "likely_cause", rejectedSteps = "rejected_steps"
    }
}
