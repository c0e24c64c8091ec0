import IncidentLog
import Kafka
import Logging
import Prometheus
import ServiceLifecycle

/// Where a consuming daemon consumes from and answers its operational endpoints.
public struct ConsumerEndpoint: Sendable, Hashable {
    public var group: String
    public var host: String
    public var port: Int
    public init(group: String, host: String = "127.0.0.1", port: Int) {
        self.group = group; self.host = host; self.port = port
    }
}
