import Crypto
import Foundation
import IncidentLog
import Synchronization

/// Verifies Slack request signatures (the v0 scheme): `X-Slack-Signature` is
/// `v0=` + hex HMAC-SHA256(signing secret, `v0:{X-Slack-Request-Timestamp}:{raw body}`).
/// Requests older or newer than the window are refused, signatures are
/// compared in constant time, and a signature seen before is refused (replay).
public final class SlackSignatureVerifier: Sendable {
    public enum Failure: Error, Equatable, CustomStringConvertible, Sendable {
        case missingHeaders, badTimestamp, stale, badSignature, replayed
        public var description: String {
            switch self {
            case .missingHeaders: "missing X-Slack-Request-Timestamp or X-Slack-Signature"
            case .badTimestamp: "X-Slack-Request-Timestamp is not a Unix time"
            case .stale: "the request timestamp is outside the 5-minute window"
            case .badSignature: "the signature does not match"
            case .replayed: "this request was already received"
            }
        }
    }

    let key: SymmetricKey
    let window: TimeInterval
    /// Signatures accepted within the window, with their timestamps (older ones can no longer pass the window check).
    private let seen = Mutex<[String: TimeInterval]>([:])

    public init(signingSecret: String, window: TimeInterval = 300) {
        key = SymmetricKey(data: Data(signingSecret.utf8))
        self.window = window
    }

    public func verify(timestamp: String?, signature: String?, body: [UInt8], now: Date = Date()) throws(Failure) {
        guard let timestamp, let signature else { throw .missingHeaders }
        guard let ts = TimeInterval(timestamp), ts.isFinite else { throw .badTimestamp }
        guard abs(now.timeIntervalSince1970 - ts) <= window else { throw .stale }
        guard signature.hasPrefix("v0="), let given = Data(hexString: String(signature.dropFirst(3))) else { throw .badSignature }
        var message = Data("v0:\(timestamp):".utf8)
        message.append(contentsOf: body)
        // HMAC's own check compares in constant time.
        guard HMAC<SHA256>.isValidAuthenticationCode(given, authenticating: message, using: key) else { throw .badSignature }
        let fresh = seen.withLock { s -> Bool in
            let cutoff = now.timeIntervalSince1970 - window
            if s.count > 1_000 { s = s.filter { $0.value >= cutoff } }
            guard s[signature] == nil else { return false }
            s[signature] = ts
            return true
        }
        guard fresh else { throw .replayed }
    }

    /// The signature Slack would send (for tests and `aiops` tooling).
    public static func sign(body: [UInt8], timestamp: String, secret: String) -> String {
        var message = Data("v0:\(timestamp):".utf8)
        message.append(contentsOf: body)
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Data(secret.utf8)))
        return "v0=" + mac.map { String(format: "%02x", $0) }.joined()
    }
}

/// A Slack interactivity payload (`block_actions`) reduced to what the approver needs.
public struct SlackAction: Sendable, Equatable {
    public var userID: String
    public var userName: String
    public var actionID: String
    public var requestID: String
    /// Where Slack takes a replacement for the message (to show the decision in place).
    public var responseURL: String?

    /// Parses the `application/x-www-form-urlencoded` body Slack sends (`payload=<json>`).
    public static func parse(formBody: [UInt8]) -> SlackAction? {
        let form = String(decoding: formBody, as: UTF8.self)
        guard let field = form.split(separator: "&").first(where: { $0.hasPrefix("payload=") }),
              let json = String(field.dropFirst(8)).replacingOccurrences(of: "+", with: " ").removingPercentEncoding,
              let value = try? JSONDecoder().decode(JSONValue.self, from: Data(json.utf8)),
              value["type"]?.stringValue == "block_actions",
              let user = value["user"]?["id"]?.stringValue,
              case .array(let actions)? = value["actions"], let first = actions.first,
              let actionID = first["action_id"]?.stringValue, let requestID = first["value"]?.stringValue
        else { return nil }
        return SlackAction(userID: user, userName: value["user"]?["username"]?.stringValue ?? user, actionID: actionID,
                           requestID: requestID, responseURL: value["response_url"]?.stringValue)
    }
}
