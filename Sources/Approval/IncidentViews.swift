import Foundation
import IncidentLog
import Synchronization

/// What the incident page shows: the fold of every open incident and of the
/// most recently resolved ones (at most `keepResolved`; older ones are
/// dropped, so memory stays with what is open).
public final class IncidentViews: Sendable {
    struct Folds {
        var incidents: [String: IncidentState] = [:]
        /// Resolved incidents, oldest first.
        var resolved: [String] = []
    }

    private let folds = Mutex(Folds())
    public let keepResolved: Int

    public init(keepResolved: Int = 100) { self.keepResolved = keepResolved }

    public func observe(_ event: IncidentEvent) {
        folds.withLock { f in
            var state = f.incidents[event.incidentID] ?? IncidentState(id: event.incidentID)
            guard state.apply(event) else { return }
            f.incidents[event.incidentID] = state
            if case .incidentResolved = event.payload {
                f.resolved.append(event.incidentID)
                while f.resolved.count > keepResolved { f.incidents[f.resolved.removeFirst()] = nil }
            }
        }
    }

    /// Open incidents (newest first), then the recently resolved ones (newest first).
    public func list() -> [IncidentState] {
        folds.withLock { f in
            let all = Array(f.incidents.values)
            let open = all.filter { $0.status != .resolved }.sorted { ($0.openedAt ?? .distantPast) > ($1.openedAt ?? .distantPast) }
            let done = all.filter { $0.status == .resolved }.sorted { ($0.resolvedAt ?? .distantPast) > ($1.resolvedAt ?? .distantPast) }
            return open + done
        }
    }

    public func incident(_ id: String) -> IncidentState? { folds.withLock { $0.incidents[id] } }
}
