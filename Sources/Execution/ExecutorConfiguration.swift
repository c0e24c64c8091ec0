import DaemonRuntime
import Foundation

/// executor's configuration. Each field: flag > environment > default.
public struct ExecutorConfiguration: DaemonConfiguration {
    public static let daemon = "executor"
    public static let abstract = "Runs approved actions (ActionApproved) from the action catalog, at most once each."
    static let consumer = ConsumerSettings(prefix: "EXECUTOR", group: DaemonGroup.executor.rawValue, port: 9099)
    static let catalog = Setting("ACTIONS_CATALOG", default: "examples/actions/catalog.yaml", "the action catalog")
    static let policy = Setting("APPROVAL_POLICY", default: "examples/actions/approval-policy.yaml",
                                "the approval policy: the executor checks policy approvals of destructive actions against it too")
    static let concurrency = Setting("EXECUTOR_CONCURRENCY", default: "4", "actions running at once")
    public static let settings = CommonConfiguration.settings + SnapshotConfiguration.settings + consumer.all + [catalog, policy, concurrency]

    public var common: CommonConfiguration
    /// Start-up snapshots (off unless AIOPS_STATE_DIR is set).
    public var snapshot = SnapshotConfiguration(directory: nil)
    public var endpoint: ConsumerEndpoint
    public var catalogPath: String
    public var policyPath: String
    public var concurrency: Int

    public init(_ src: ConfigSource) throws {
        common = try CommonConfiguration(service: Self.daemon, src)
        snapshot = try SnapshotConfiguration(src)
        endpoint = try Self.consumer.read(src)
        catalogPath = try src.string(Self.catalog)
        policyPath = try src.string(Self.policy)
        concurrency = try src.int(Self.concurrency)
    }
}
