import IncidentLog
import Synchronization

/// What the executor knows of every action request, folded from the incident
/// log: started? finished? Rebuilt from the log before the executor acts, and
/// kept current from what it consumes and produces.
public final class ExecutionLedger: Sendable {
    public struct Entry: Sendable, Hashable {
        public var started = false
        public var finished = false
        /// Admitted to run in this process (not yet started): a duplicate approval is not admitted again.
        public var claimed = false
        /// The approver closed the request ("rejected", "expired"): no approval of it may run.
        public var closed: String?
    }
    private let entries = Mutex<[String: Entry]>([:])

    public init() {}

    /// Whether `apply` reads this event.
    public static func reads(_ event: IncidentEvent) -> Bool {
        switch event.payload {
        case .actionStarted, .actionExecuted, .actionFailed, .actionOutcomeUnknown, .actionRejected, .approvalExpired: true
        default: false
        }
    }

    public func apply(_ event: IncidentEvent) {
        switch event.payload {
        case .actionStarted(let p): entries.withLock { $0[p.requestID, default: Entry()].started = true }
        case .actionExecuted(let p): finish(p.requestID)
        case .actionFailed(let p): finish(p.requestID)
        case .actionOutcomeUnknown(let p): finish(p.requestID)
        case .actionRejected(let p): entries.withLock { $0[p.requestID, default: Entry()].closed = "rejected" }
        case .approvalExpired(let p): entries.withLock { $0[p.requestID, default: Entry()].closed = "expired" }
        default: break
        }
    }

    public func claim(_ requestID: String) { entries.withLock { $0[requestID, default: Entry()].claimed = true } }
    public func release(_ requestID: String) { entries.withLock { $0[requestID, default: Entry()].claimed = false } }
    public func markStarted(_ requestID: String) { entries.withLock { $0[requestID, default: Entry()].started = true } }
    public func finish(_ requestID: String) { entries.withLock { $0[requestID, default: Entry()].finished = true } }
    public func entry(_ requestID: String) -> Entry { entries.withLock { $0[requestID] ?? Entry() } }
}
