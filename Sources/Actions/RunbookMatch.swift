import Foundation
import Yams

/// A runbook line the built-in planner maps to an action: a regular expression
/// on the line, which alert labels fill which parameters (first label present
/// wins), and fixed values. The result is validated like any other request.
public struct RunbookMatch: Sendable, Codable, Hashable {
    public var pattern: String
    public var parameters: [String: [String]]?
    public var fixed: [String: String]?
    public init(pattern: String, parameters: [String: [String]]? = nil, fixed: [String: String]? = nil) {
        self.pattern = pattern; self.parameters = parameters; self.fixed = fixed
    }
}
