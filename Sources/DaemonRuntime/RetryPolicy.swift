import Foundation
import IncidentLog
import Kafka
import Logging
import Metrics
import ServiceLifecycle

public struct RetryPolicy: Sendable {
    /// Attempts of the handler before the record is dead-lettered.
    public var maxAttempts: Int = 5
    public var initialBackoff: Duration = .milliseconds(100)
    public var maxBackoff: Duration = .seconds(5)

    public init(maxAttempts: Int = 5, initialBackoff: Duration = .milliseconds(100), maxBackoff: Duration = .seconds(5)) {
        self.maxAttempts = maxAttempts
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
    }

    public func backoff(afterAttempt attempt: Int) -> Duration {
        var d = initialBackoff
        for _ in 1..<max(1, attempt) { d = min(d * 2, maxBackoff) }
        return min(d, maxBackoff)
    }
}
