import DaemonRuntime

/// Where the approver tells people that something waits for them.
public struct NotificationConfiguration: Sendable {
    /// A Slack (or Slack-compatible: Mattermost, Rocket.Chat) incoming-webhook URL.
    public var slackWebhookURL: String?
    /// A generic JSON webhook (PagerDuty/Opsgenie bridges, chat-ops bots, your own service).
    public var webhookURL: String?
    /// Sent as `Authorization: Bearer …` to the generic webhook, if set.
    public var webhookToken: String?
    /// The approver's address as people reach it (links in messages).
    public var publicURL = "http://127.0.0.1:9098"
    public var timeoutMs = 10_000
    /// Attempts per message (transport errors, 429 and 5xx), with backoff.
    public var attempts = 3

    public init() {}

    public var isEnabled: Bool { slackWebhookURL != nil || webhookURL != nil }

    static let slack = Setting("SLACK_WEBHOOK_URL", secret: true, "Slack incoming-webhook URL for approval requests and escalations")
    static let webhook = Setting("NOTIFY_WEBHOOK_URL", "generic JSON webhook for the same notices")
    static let webhookToken = Setting("NOTIFY_WEBHOOK_TOKEN", secret: true, "sent as `Authorization: Bearer` to it")
    static let publicURL = Setting("APPROVER_PUBLIC_URL", default: "http://127.0.0.1:9098", "the approver as people reach it (links)")
    static let timeout = Setting("NOTIFY_TIMEOUT_MS", default: "10000", "per notification request")
    static let attemptsSetting = Setting("NOTIFY_ATTEMPTS", default: "3", "attempts per message (transport errors, 429, 5xx)")
    public static let settings = [slack, webhook, webhookToken, publicURL, timeout, attemptsSetting]

    public init(_ src: ConfigSource) throws {
        slackWebhookURL = try src.optional(Self.slack)
        webhookURL = try src.optional(Self.webhook)
        webhookToken = try src.optional(Self.webhookToken)
        publicURL = try src.string(Self.publicURL)
        timeoutMs = try src.int(Self.timeout)
        attempts = try src.int(Self.attemptsSetting)
        while publicURL.hasSuffix("/") { publicURL.removeLast() }
    }
}
