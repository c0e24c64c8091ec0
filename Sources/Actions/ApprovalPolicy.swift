import BoundedYAML
import Foundation
import Yams

/// Who may approve what without a human: read-only actions, and destructive
/// ones that match a pre-approval rule within its blast-radius limit.
public struct ApprovalPolicy: Sendable {
    public struct Rule: Sendable, Codable, Hashable {
        public var name: String
        public var action: String
        /// Parameter name → anchored regular expression its value must match (e.g. namespace: "staging|dev").
        public var parameters: [String: String]?
        /// Blast-radius limit: approvals by this rule in the last hour.
        public var maxPerHour: Int

        enum CodingKeys: String, CodingKey { case name, action, parameters; case maxPerHour = "max_per_hour" }

        public func matches(action id: String, parameters values: [String: String]) -> Bool {
            guard id == action else { return false }
            for (name, pattern) in parameters ?? [:] {
                guard let v = values[name], let re = try? NSRegularExpression(pattern: "^(?:\(pattern))$"),
                      re.firstMatch(in: v, range: NSRange(v.startIndex..., in: v)) != nil else { return false }
            }
            return true
        }
    }

    public var autoApproveReadOnly = true
    public var rules: [Rule] = []
    /// How long a destructive action waits for a human before it expires.
    public var approvalTTLSeconds: Double = 900
    /// How long an approval stays runnable once given (`not_after` = issued + this): an approval the
    /// executor gets later (a backlog, an outage, a replay) is refused, never run stale.
    public var approvalValidSeconds: Double = 600

    public init(autoApproveReadOnly: Bool = true, rules: [Rule] = [], approvalTTLSeconds: Double = 900,
                approvalValidSeconds: Double = 600) {
        self.autoApproveReadOnly = autoApproveReadOnly
        self.rules = rules
        self.approvalTTLSeconds = approvalTTLSeconds
        self.approvalValidSeconds = approvalValidSeconds
    }

    public static func load(yaml: String) throws -> ApprovalPolicy {
        struct File: Decodable {
            var auto_approve_read_only: Bool?
            var approval_ttl_seconds: Double?
            var approval_valid_seconds: Double?
            var pre_approved: [Rule]?
        }
        let f: File
        do { f = try BoundedYAML.decode(File.self, from: yaml, limits: .configuration) } catch {
            throw ActionError(.catalog, "cannot read the approval policy: \(error)")
        }
        for r in f.pre_approved ?? [] {
            for (name, p) in r.parameters ?? [:] where (try? NSRegularExpression(pattern: p)) == nil {
                throw ActionError(.catalog, "policy rule \(r.name): parameter \(name) pattern is not a regular expression")
            }
            guard r.maxPerHour > 0 else { throw ActionError(.catalog, "policy rule \(r.name): max_per_hour must be positive") }
        }
        let valid = f.approval_valid_seconds ?? 600
        guard valid > 0, valid <= 86_400 else { throw ActionError(.catalog, "approval_valid_seconds must be in (0, 86400]") }
        return ApprovalPolicy(autoApproveReadOnly: f.auto_approve_read_only ?? true, rules: f.pre_approved ?? [],
                              approvalTTLSeconds: f.approval_ttl_seconds ?? 900, approvalValidSeconds: valid)
    }

    public static func load(path: String) throws -> ApprovalPolicy {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ActionError(.catalog, "cannot read the approval policy \(path)")
        }
        return try load(yaml: String(decoding: data, as: UTF8.self))
    }

    public enum Decision: Sendable, Equatable {
        case approve(rule: String)
        case askHuman
    }

    /// `recentApprovals(rule)` = approvals by that rule in the last hour.
    public func decide(_ action: ActionDefinition, parameters: [String: String],
                       recentApprovals: (String) -> Int) -> Decision {
        if action.risk == .readOnly && autoApproveReadOnly { return .approve(rule: "read-only") }
        for rule in rules where rule.matches(action: action.id, parameters: parameters) {
            if recentApprovals(rule.name) < rule.maxPerHour { return .approve(rule: rule.name) }
        }
        return .askHuman
    }
}
