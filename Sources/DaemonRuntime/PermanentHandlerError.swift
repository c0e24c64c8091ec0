import Foundation
import IncidentLog
import Kafka
import Logging
import Metrics
import ServiceLifecycle

/// A handler error that retrying cannot fix (undecodable input, unknown
/// schema version): the record goes to the dead-letter topic at once.
public struct PermanentHandlerError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
