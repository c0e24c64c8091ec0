import Foundation
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
        /// When it last changed (its last event's time on the log, or the executor's clock).
        var touched = Date.distantPast
    }
    struct State {
        var entries: [String: Entry] = [:]
        /// The latest time seen, and how many changes were made.
        var newest = Date.distantPast
        var updates = 0
    }
    private let state = Mutex(State())
    /// Seconds an entry is kept after it last changed, nil: for ever. Safe only when no approval can be valid that
    /// long after its request's last event (BuildExecutor checks the policy against the snapshot's retention,
    /// which is what it passes here).
    public let retain: TimeInterval?

    public init(retain: TimeInterval? = nil) { self.retain = retain }

    /// Whether `apply` reads this event.
    public static func reads(_ event: IncidentEvent) -> Bool {
        switch event.payload {
        case .actionStarted, .actionExecuted, .actionFailed, .actionOutcomeUnknown, .actionRejected, .approvalExpired: true
        default: false
        }
    }

    public func apply(_ event: IncidentEvent) {
        let at = event.occurredAt
        switch event.payload {
        case .actionStarted(let p): update(p.requestID, at) { $0.started = true }
        case .actionExecuted(let p): update(p.requestID, at) { $0.finished = true }
        case .actionFailed(let p): update(p.requestID, at) { $0.finished = true }
        case .actionOutcomeUnknown(let p): update(p.requestID, at) { $0.finished = true }
        case .actionRejected(let p): update(p.requestID, at) { $0.closed = "rejected" }
        case .approvalExpired(let p): update(p.requestID, at) { $0.closed = "expired" }
        default: break
        }
    }

    public func claim(_ requestID: String) { update(requestID) { $0.claimed = true } }
    public func release(_ requestID: String) { update(requestID) { $0.claimed = false } }
    public func markStarted(_ requestID: String) { update(requestID) { $0.started = true } }
    public func finish(_ requestID: String) { update(requestID) { $0.finished = true } }
    public func entry(_ requestID: String) -> Entry { state.withLock { $0.entries[requestID] ?? Entry() } }
    public var count: Int { state.withLock { $0.entries.count } }

    private func update(_ requestID: String, _ at: Date = Date(), _ change: (inout Entry) -> Void) {
        state.withLock { s in
            s.newest = max(s.newest, at)
            s.updates += 1
            change(&s.entries[requestID, default: Entry()])
            s.entries[requestID]!.touched = max(s.entries[requestID]!.touched, at)
            // Every 1,024 changes, the entries no approval can still ask for are forgotten (never one being run).
            if let retain, s.updates % 1_024 == 0 {
                let latest = s.newest
                s.entries = s.entries.filter { $0.value.claimed || latest.timeIntervalSince($0.value.touched) <= retain }
            }
        }
    }
}
