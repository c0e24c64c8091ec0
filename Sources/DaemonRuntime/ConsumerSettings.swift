import IncidentLog
import Kafka
import Logging
import Prometheus
import ServiceLifecycle

/// The consumer group, `/healthz` `/readyz` `/metrics` address of a consuming
/// daemon: `<PREFIX>_GROUP`, `<PREFIX>_HOST`, `<PREFIX>_PORT`.
public struct ConsumerSettings: Sendable {
    public let group: Setting
    public let host: Setting
    public let port: Setting
    public static let sessionTimeout = Setting(
        "KAFKA_SESSION_TIMEOUT_MS", default: "15000",
        "how long a consumer that died (SIGKILL, OOM, lost node) holds its partitions before the group moves them; a clean stop hands them over at once")
    public var all: [Setting] { [group, host, port, Self.sessionTimeout] }

    public init(prefix: String, group: String, port: Int) {
        self.group = Setting("\(prefix)_GROUP", default: group, "Kafka consumer group")
        host = Setting("\(prefix)_HOST", default: "127.0.0.1", "address of `/healthz`, `/readyz`, `/metrics`")
        self.port = Setting("\(prefix)_PORT", default: String(port), "their port")
    }

    public func read(_ src: ConfigSource) throws -> ConsumerEndpoint {
        let timeout = try src.int(Self.sessionTimeout)
        guard (6_000...300_000).contains(timeout) else {
            throw ConfigError("KAFKA_SESSION_TIMEOUT_MS must be 6000 to 300000 (the broker's group.min/max.session.timeout.ms), not \(timeout)")
        }
        return ConsumerEndpoint(group: try src.string(group), host: try src.string(host), port: try src.int(port),
                                sessionTimeoutMs: timeout)
    }
}
