import Foundation
import Yams

/// How an action runs. Every runner takes argv or a URL built from a template
/// and validated parameters: never a shell, never text chosen by an alert, a
/// document or a model.
public enum ActionRunner: String, Sendable, Codable { case command, kubectl, http, mcp, prometheus }
