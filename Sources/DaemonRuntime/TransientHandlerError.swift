import Foundation
import IncidentLog
import Kafka
import Logging
import Metrics
import ServiceLifecycle

/// A handler error caused by something outside the record (embeddings server
/// or database down): retried with backoff for as long as it lasts, never
/// dead-lettered, and the offset is not stored meanwhile.
public struct TransientHandlerError: Error, CustomStringConvertible {
    public var underlying: Error
    public init(_ underlying: Error) { self.underlying = underlying }
    public var description: String { "transient: \(underlying)" }
}
