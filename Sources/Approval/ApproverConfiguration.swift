import DaemonRuntime
import Foundation

/// approver's configuration. Each field: flag > environment > default.
public struct ApproverConfiguration: DaemonConfiguration {
    public static let daemon = "approver"
    public static let abstract = "Approval gate: policy approvals, human approvals over an authenticated API, expiry."
    static let consumer = ConsumerSettings(prefix: "APPROVER", group: DaemonGroup.approver.rawValue, port: 9098)
    static let catalog = Setting("ACTIONS_CATALOG", default: "examples/actions/catalog.yaml", "the action catalog")
    static let policy = Setting("APPROVAL_POLICY", default: "examples/actions/approval-policy.yaml", "what runs without a human")
    static let approvers = Setting("APPROVERS_FILE", "required: YAML of approvers (`name`, `token_sha256`, `roles`, `slack_user_id`)")
    static let slackSecret = Setting("SLACK_SIGNING_SECRET", secret: true, "the Slack app's signing secret (Approve/Reject buttons)")
    public static let settings = CommonConfiguration.settings + SnapshotConfiguration.settings + consumer.all
        + [catalog, policy, approvers, slackSecret] + NotificationConfiguration.settings

    public var common: CommonConfiguration
    /// Start-up snapshots (off unless AIOPS_STATE_DIR is set).
    public var snapshot = SnapshotConfiguration(directory: nil)
    /// The consumer group, and the address of the API, the page and the operational endpoints.
    public var endpoint: ConsumerEndpoint
    public var catalogPath: String
    public var policyPath: String
    public var approversPath: String
    public var slackSigningSecret: String?
    public var notifications: NotificationConfiguration

    public init(_ src: ConfigSource) throws {
        common = try CommonConfiguration(service: Self.daemon, src)
        snapshot = try SnapshotConfiguration(src)
        endpoint = try Self.consumer.read(src)
        catalogPath = try src.string(Self.catalog)
        policyPath = try src.string(Self.policy)
        approversPath = try src.string(Self.approvers)
        slackSigningSecret = try src.optional(Self.slackSecret)
        notifications = try NotificationConfiguration(src)
    }
}
