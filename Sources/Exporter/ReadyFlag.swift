import Synchronization

/// Set once the incident log was read to its end.
final class ReadyFlag: Sendable {
    private let storage = Atomic(false)
    var value: Bool {
        get { storage.load(ordering: .acquiring) }
        set { storage.store(newValue, ordering: .releasing) }
    }
}
