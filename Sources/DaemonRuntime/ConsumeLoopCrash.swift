import Foundation
import IncidentLog
import Kafka
import Logging
import Metrics
import ServiceLifecycle

/// Thrown by test hooks to stop a loop as a crash would; never swallowed by batch fallback.
public protocol ConsumeLoopCrash: Error {}
