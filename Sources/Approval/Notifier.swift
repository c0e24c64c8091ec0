import DaemonRuntime
import Foundation
import HTTPClient
import IncidentLog
import Kafka
import Logging
import Metrics

/// Sends notices to the configured Slack incoming webhook and generic JSON
/// webhook. Alert titles, rationales and reasons are untrusted text: in Slack
/// messages `&`, `<` and `>` are escaped so they cannot forge links or mentions.
public final class Notifier: Sendable {
    public let configuration: NotificationConfiguration
    let http: HTTPClient
    let logger: Logger
    private let sent = Counter(label: "aiops_notifications_sent_total")
    private let failed = Counter(label: "aiops_notifications_failed_total")

    public init(configuration: NotificationConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        http = try HTTPClient()
    }

    /// Sends `notice` everywhere configured; a destination that keeps failing is
    /// logged and counted, never allowed to hold up the others.
    public func send(_ notice: Notice) async {
        if let url = configuration.slackWebhookURL {
            await post(url, Self.slackMessage(notice, publicURL: configuration.publicURL), token: nil, what: "slack")
        }
        if let url = configuration.webhookURL {
            await post(url, Self.webhookBody(notice, publicURL: configuration.publicURL), token: configuration.webhookToken,
                       what: "webhook")
        }
    }

    private func post(_ url: String, _ body: JSONValue, token: String?, what: String) async {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        guard let data = try? encoder.encode(body) else { return }
        var headers = ["Content-Type": "application/json"]
        if let token { headers["Authorization"] = "Bearer \(token)" }
        let outcome = try? await http.requestRetrying(
            "POST", url, headers: headers, body: Array(data), timeout: .milliseconds(configuration.timeoutMs),
            attempts: max(1, configuration.attempts), backoff: { .milliseconds(250 * (1 << min($0 - 1, 4))) })
        if let r = outcome?.response, (200..<300).contains(r.status) { sent.increment(); return }
        let last = outcome?.response.map { "answered \($0.status): \($0.text.prefix(200))" }
            ?? outcome?.error?.description ?? "cancelled"
        failed.increment()
        logger.error("notification not delivered", metadata: ["to": "\(what)", "error": "\(last)"])
    }

    // MARK: messages

    static func links(_ requestID: String, _ publicURL: String) -> [String: String] {
        [
            "page_url": "\(publicURL)/approvals#\(requestID)",
            "approve_url": "\(publicURL)/api/v1/approvals/\(requestID)/approve",
            "reject_url": "\(publicURL)/api/v1/approvals/\(requestID)/reject",
        ]
    }

    /// The generic webhook's JSON body (documented in docs/notifications.md).
    public static func webhookBody(_ notice: Notice, publicURL: String) -> JSONValue {
        switch notice {
        case .approvalRequested(let p):
            let l = links(p.request.requestID, publicURL)
            return .object([
                "type": "approval_requested",
                "incident_id": .string(p.incidentID), "title": .string(p.title),
                "request_id": .string(p.request.requestID), "action": .string(p.request.action),
                "parameters": .object(p.request.parameters.mapValues { .string($0) }),
                "risk": .string(p.request.risk), "rationale": .string(p.request.rationale),
                "expires_at": .string(p.request.expiresAt),
                "evidence": .array(p.evidence.map { .object([
                    "chunk_id": .string($0.chunkID), "document_id": .string($0.documentID), "title": .string($0.title),
                    "path": .string($0.path), "section": .string($0.headingPath)]) }),
                "triage": p.triage.map { t in .object([
                    "likely_cause": t.likelyCause.map { .string($0) } ?? .null,
                    "chosen_because": t.chosenBecause.map { .string($0) } ?? .null,
                    "hypotheses": .array(t.hypotheses.map { .object(["cause": .string($0.cause), "title": .string($0.title),
                                                                      "status": .string($0.status.rawValue), "score": .number($0.score)]) }),
                ]) } ?? .null,
                "page_url": .string(l["page_url"]!), "approve_url": .string(l["approve_url"]!),
                "reject_url": .string(l["reject_url"]!),
            ])
        case .escalated(let id, let title, let e):
            return .object(["type": "incident_escalated", "incident_id": .string(id), "title": .string(title),
                            "reason": .string(e.reason), "summary": .string(e.summary),
                            "page_url": .string("\(publicURL)/approvals")])
        }
    }

    /// Slack mrkdwn with untrusted text made inert: controls and bidirectional or invisible characters shown
    /// (`\x1b`, `<U+202E>`), then `&`, `<` and `>` escaped so nothing forges a link or a mention.
    static func escape(_ s: String, limit: Int = 500) -> String {
        DisplayText.terminal(String(s.prefix(limit)), multiline: true)
            .replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }

    /// The triage behind a request for Slack: the likely cause, why, and each hypothesis weighed.
    static func triageText(_ t: ApproverHandler.Triage?) -> String {
        guard let t else { return "*Likely cause*\nno triage yet" }
        var out = "*Likely cause*\n\(escape(t.likelyCause ?? "not established", limit: 300))"
        if let why = t.chosenBecause { out += "\n_\(escape(why, limit: 400))_" }
        let weighed = t.hypotheses.prefix(4).map { "• \(escape($0.title, limit: 120)): \($0.status.rawValue) (\($0.score))" }
        if !weighed.isEmpty { out += "\n*Hypotheses*\n" + weighed.joined(separator: "\n") }
        return out
    }

    /// A Slack Block Kit message: summary, parameters, evidence, and Approve /
    /// Reject buttons (answered by the interactivity endpoint) plus a link to the page.
    public static func slackMessage(_ notice: Notice, publicURL: String) -> JSONValue {
        switch notice {
        case .approvalRequested(let p):
            let params = p.request.parameters.sorted { $0.key < $1.key }.map { "`\(escape($0.key, limit: 64))=\(escape($0.value, limit: 1_024))`" }
                .joined(separator: " ")
            let evidence = p.evidence.prefix(5).map { "• \(escape($0.title, limit: 120)) — \(escape($0.headingPath, limit: 120)) (`\(escape($0.chunkID, limit: 120))`)" }
                .joined(separator: "\n")
            let summary = "*Approval needed* for `\(escape(p.request.action, limit: 100))` (\(escape(p.request.risk))) on incident *\(escape(p.title, limit: 200))*"
            let l = links(p.request.requestID, publicURL)
            return .object([
                "text": .string("Approval needed: \(escape(p.request.action, limit: 100)) for \(escape(p.title, limit: 200))"),
                "blocks": .array([
                    .object(["type": "section", "text": .object(["type": "mrkdwn", "text": .string(summary)])]),
                    .object(["type": "section", "fields": .array([
                        .object(["type": "mrkdwn", "text": .string("*Parameters*\n\(params.isEmpty ? "none" : params)")]),
                        .object(["type": "mrkdwn", "text": .string("*Expires*\n\(escape(p.request.expiresAt))")]),
                    ])]),
                    .object(["type": "section", "text": .object(["type": "mrkdwn",
                                                                 "text": .string("*Why*\n\(escape(p.request.rationale))")])]),
                    .object(["type": "section", "text": .object(["type": "mrkdwn", "text": .string(triageText(p.triage))])]),
                    .object(["type": "context", "elements": .array([.object(["type": "mrkdwn",
                                                                             "text": .string(evidence.isEmpty ? "No evidence cited." : "*Evidence*\n\(evidence)")])])]),
                    .object(["type": "actions", "block_id": .string("aiops:\(p.request.requestID)"), "elements": .array([
                        .object(["type": "button", "action_id": "aiops_approve", "style": "primary",
                                 "text": .object(["type": "plain_text", "text": "Approve"]),
                                 "value": .string(p.request.requestID),
                                 "confirm": .object(["title": .object(["type": "plain_text", "text": "Run this action?"]),
                                                     "text": .object(["type": "mrkdwn", "text": .string("`\(escape(p.request.action, limit: 100))` \(params)")]),
                                                     "confirm": .object(["type": "plain_text", "text": "Approve"]),
                                                     "deny": .object(["type": "plain_text", "text": "Cancel"])])]),
                        .object(["type": "button", "action_id": "aiops_reject", "style": "danger",
                                 "text": .object(["type": "plain_text", "text": "Reject"]),
                                 "value": .string(p.request.requestID)]),
                        .object(["type": "button", "action_id": "aiops_open",
                                 "text": .object(["type": "plain_text", "text": "Open approvals"]),
                                 "url": .string(l["page_url"]!)]),
                    ])]),
                ]),
            ])
        case .escalated(_, let title, let e):
            let text = "*Escalated*: incident *\(escape(title, limit: 200))* needs a human — \(escape(e.reason))\n\(escape(e.summary, limit: 1_000))"
            return .object(["text": .string("Escalated: \(escape(title, limit: 200)) — \(escape(e.reason))"),
                            "blocks": .array([.object(["type": "section", "text": .object(["type": "mrkdwn", "text": .string(text)])])])])
        }
    }
}
