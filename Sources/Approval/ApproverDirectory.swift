import BoundedYAML
import Crypto
import DaemonRuntime
import Foundation
import HTTPTypes
import HTTPClient
import Hummingbird
import IncidentLog
import Kafka
import Logging
import NIOCore
import Prometheus
import Synchronization
import Yams

/// API tokens mapped to named approvers with roles. Only SHA-256 hashes of the
/// tokens are configured, never the tokens themselves.
public struct ApproverDirectory: Sendable {
    public struct Entry: Sendable, Codable, Hashable {
        public var name: String
        public var tokenSHA256: String
        /// `approver` may decide; `viewer` may only list.
        public var roles: [String]
        /// The person's Slack member id (U…), if they may decide from Slack buttons.
        public var slackUserID: String?
        enum CodingKeys: String, CodingKey { case name, roles; case tokenSHA256 = "token_sha256", slackUserID = "slack_user_id" }
        public init(name: String, tokenSHA256: String, roles: [String], slackUserID: String? = nil) {
            self.name = name; self.tokenSHA256 = tokenSHA256; self.roles = roles; self.slackUserID = slackUserID
        }
    }
    public var entries: [Entry]

    public init(entries: [Entry]) { self.entries = entries }

    public static func load(yaml: String) throws -> ApproverDirectory {
        struct File: Decodable { var approvers: [Entry] }
        return ApproverDirectory(entries: try BoundedYAML.decode(File.self, from: yaml, limits: .configuration).approvers)
    }

    public static func hash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// The approver a Slack member id belongs to.
    public func identify(slackUserID: String) -> Entry? {
        entries.first { $0.slackUserID != nil && $0.slackUserID == slackUserID }
    }

    /// The approver a bearer token belongs to (constant-time comparison of hashes).
    public func identify(token: String) -> Entry? {
        let h = Array(Self.hash(token).utf8)
        var found: Entry?
        for e in entries {
            let other = Array(e.tokenSHA256.lowercased().utf8)
            guard other.count == h.count else { continue }
            var diff: UInt8 = 0
            for i in 0..<h.count { diff |= h[i] ^ other[i] }
            if diff == 0 { found = e }
        }
        return found
    }
}
