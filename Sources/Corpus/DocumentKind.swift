import Crypto
import Foundation
import Yams

/// The kinds of ops-handbook document.
public enum DocumentKind: String, Sendable, Codable, CaseIterable {
    case postmortem, runbook, adr
    case weeklyLog = "weekly-log"
    /// No front matter and nothing in the path says what it is.
    case other
}
