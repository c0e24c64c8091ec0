import Crypto
import Foundation

/// Who approved an action: a named human, or a policy rule.
public struct Approver: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Codable { case human, policy }
    public var name: String
    public var kind: Kind
    public init(name: String, kind: Kind) { self.name = name; self.kind = kind }
}
