import Foundation
import Yams

/// One parameter's schema.
public struct ParameterSpec: Sendable, Codable, Hashable {
    public enum Kind: String, Sendable, Codable { case string, integer, boolean }
    public var type: Kind
    /// Anchored: the whole value must match.
    public var pattern: String?
    public var `enum`: [String]?
    public var minimum: Int?
    public var maximum: Int?
    public var maxLength: Int?
    public var required: Bool?
    public var description: String?

    enum CodingKeys: String, CodingKey {
        case type, pattern, `enum`, minimum, maximum, required, description
        case maxLength = "max_length"
    }
}
