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
    public var all: [Setting] { [group, host, port] }

    public init(prefix: String, group: String, port: Int) {
        self.group = Setting("\(prefix)_GROUP", default: group, "Kafka consumer group")
        host = Setting("\(prefix)_HOST", default: "127.0.0.1", "address of `/healthz`, `/readyz`, `/metrics`")
        self.port = Setting("\(prefix)_PORT", default: String(port), "their port")
    }

    public func read(_ src: ConfigSource) throws -> ConsumerEndpoint {
        ConsumerEndpoint(group: try src.string(group), host: try src.string(host), port: try src.int(port))
    }
}
