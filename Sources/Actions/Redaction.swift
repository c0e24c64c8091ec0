import Foundation

/// Secrets taken out of text before it goes anywhere (the log, a prompt, a
/// person): credentials in assignments and JSON fields whatever their case,
/// URL credentials, bearer and basic authorization, AWS access keys, PEM
/// private keys (also when cut off). It runs on the whole output before it is
/// truncated, so a secret on the truncation boundary is not half-kept.
public struct Redaction: Sendable {
    static let secretWord = #"(?:pass(?:word|wd|phrase)?|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|signing[_-]?key|client[_-]?secret|credentials?|session[_-]?key)"#

    public static let defaultPatterns: [String] = [
        // "api_key": "…" and other JSON fields whose name holds a secret word.
        #"(?i)("[A-Za-z0-9_.-]*"# + secretWord + #"[A-Za-z0-9_.-]*"\s*:\s*)"(?:[^"\\]|\\.)*""#,
        // KEY=value, key: value, APPROVAL_SIGNING_KEY=…, db.password = "…".
        #"(?i)(\b[A-Za-z0-9_.-]*"# + secretWord + #"[A-Za-z0-9_.-]*\s*[=:]\s*)(?:"[^"\n]*"|'[^'\n]*'|[^\s,;&"']+)"#,
        #"(?i)(\b(?:bearer|basic)\s+)[A-Za-z0-9._~+/=-]{8,}"#,
        #"(?i)(\b[a-z][a-z0-9+.-]*://[^/\s:@]+:)[^@\s/]+(?=@)"#,
        #"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"#,
        #"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)"#,
    ]

    let expressions: [NSRegularExpression]

    public init(patterns: [String]) throws {
        expressions = try patterns.map { p in
            do { return try NSRegularExpression(pattern: p) } catch {
                throw ActionError(.catalog, "redact pattern is not a regular expression: \(p)")
            }
        }
    }

    /// Every match replaced by `[REDACTED]`, a captured prefix (`password=`) kept.
    public func apply(_ text: String) -> String {
        var out = text
        for re in expressions {
            let range = NSRange(out.startIndex..., in: out)
            let template = re.numberOfCaptureGroups > 0 ? "$1[REDACTED]" : "[REDACTED]"
            out = re.stringByReplacingMatches(in: out, range: range, withTemplate: template)
        }
        return out
    }

    /// Redacts the whole of `bytes`, then cuts to `limit` bytes on a character boundary.
    public func finish(_ bytes: [UInt8], limit: Int, alreadyTruncated: Bool = false) -> (output: String, truncated: Bool) {
        let redacted = apply(String(decoding: bytes, as: UTF8.self))
        guard redacted.utf8.count > limit else { return (redacted, alreadyTruncated) }
        var cut = redacted.utf8.prefix(limit)
        while !cut.isEmpty, String(cut) == nil { cut = cut.dropLast() }
        return (String(cut) ?? "", true)
    }

    /// How much output to capture for an action limited to `limit` bytes: enough to see a secret whole
    /// around the limit before cutting.
    public static func captureLimit(_ limit: Int) -> Int { min(limit * 2 + 65_536, 16 << 20) }
}
