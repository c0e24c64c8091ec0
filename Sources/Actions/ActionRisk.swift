import Foundation
import Yams

/// What an action may do to the world.
public enum ActionRisk: String, Sendable, Codable { case readOnly = "read_only", destructive }
