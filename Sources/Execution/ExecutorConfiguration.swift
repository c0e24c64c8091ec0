import DaemonRuntime
import Foundation

/// executor's configuration. Each field: flag > environment > default.
public struct ExecutorConfiguration: DaemonConfiguration {
    public static let daemon = "executor"
    public static let abstract = "Runs approved actions (ActionApproved) from the action catalog, at most once each."
    static let consumer = ConsumerSettings(prefix: "EXECUTOR", group: "aiops-executor", port: 9099)
    static let catalog = Setting("ACTIONS_CATALOG", default: "examples/actions/catalog.yaml", "the action catalog")
    static let signingKey = Setting("APPROVAL_SIGNING_KEY", secret: true, "required, ≥ 32 bytes: shared by approver and executor only")
    static let concurrency = Setting("EXECUTOR_CONCURRENCY", default: "4", "actions running at once")
    public static let settings = CommonConfiguration.settings + consumer.all + [catalog, signingKey, concurrency]

    public var common: CommonConfiguration
    public var endpoint: ConsumerEndpoint
    public var catalogPath: String
    public var signingKey: Data
    public var concurrency: Int

    public init(_ src: ConfigSource) throws {
        common = try CommonConfiguration(service: Self.daemon, src)
        endpoint = try Self.consumer.read(src)
        catalogPath = try src.string(Self.catalog)
        signingKey = Data(try src.string(Self.signingKey).utf8)
        guard signingKey.count >= 32 else { throw ConfigError("APPROVAL_SIGNING_KEY must be at least 32 bytes") }
        concurrency = try src.int(Self.concurrency)
    }
}
