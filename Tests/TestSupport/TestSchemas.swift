import Foundation
import DaemonRuntime
import IncidentLog
import Kafka

/// The schemas of `topics/schemas`, read from the repository, and checks that
/// every record a test sees conforms.
public enum TestSchemas {
    public static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static let registry: SchemaRegistry = try! SchemaRegistry(
        directory: repositoryRoot.appendingPathComponent("topics/schemas"))

    /// Schema violations of an incident-log record (envelope and payload).
    public static func violations(ofIncidentRecord m: KafkaConsumerMessage) -> [String] {
        (try? registry.validateIncidentEvent(Data(m.value))) ?? ["not JSON"]
    }

    public static func violations(ofIncidentEvent e: IncidentEvent) -> [String] {
        guard let m = try? IncidentEventCodec.encode(e, topics: TopicSet()) else { return ["cannot encode"] }
        return (try? registry.validateIncidentEvent(Data(m.value))) ?? ["not JSON"]
    }

    public static func violations(of m: KafkaConsumerMessage, as schema: String) -> [String] {
        (try? registry.validate(Data(m.value), as: schema)) ?? ["not JSON"]
    }
}
