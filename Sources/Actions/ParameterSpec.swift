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
    /// A free-form string parameter names a target (namespace, deployment, pod, host): a planner may only use a
    /// value the incident itself mentions (its labels or its retrieved evidence). `free: true` lifts that.
    public var free: Bool?

    enum CodingKeys: String, CodingKey {
        case type, pattern, `enum`, minimum, maximum, required, description, free
        case maxLength = "max_length"
    }

    /// Whether a value must come from the incident (a free-form string not marked free).
    public var namesATarget: Bool { type == .string && `enum` == nil && free != true }
}
