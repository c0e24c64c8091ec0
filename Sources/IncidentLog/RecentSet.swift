/// A set that forgets its oldest members beyond `capacity`: dedup memory stays bounded.
public struct RecentSet: Sendable {
    private var members: Set<String> = []
    private var order: [String] = []
    private var head = 0
    public let capacity: Int

    public init(capacity: Int) { self.capacity = max(1, capacity) }

    public func contains(_ key: String) -> Bool { members.contains(key) }
    public var count: Int { members.count }

    /// Adds `key` (a member already keeps its place); returns the member it forgot to make room, if any.
    @discardableResult
    public mutating func insert(_ key: String) -> String? {
        guard members.insert(key).inserted else { return nil }
        if order.count < capacity {
            order.append(key)
            return nil
        }
        let forgotten = order[head]
        members.remove(forgotten)
        order[head] = key
        head = (head + 1) % capacity
        return forgotten
    }
}
