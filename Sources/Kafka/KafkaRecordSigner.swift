/// Authenticates what a producer sends: called with every batch `send` gets,
/// returns the same records with whatever headers prove who wrote them.
/// (The signing scheme itself lives above this module; see DaemonRuntime's `RecordSigner`.)
public protocol KafkaRecordSigner: Sendable {
    func sign(_ messages: [KafkaOutgoingMessage]) throws -> [KafkaOutgoingMessage]
}
