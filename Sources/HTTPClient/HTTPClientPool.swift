import Synchronization

/// Clients for callers that need parallel requests to one server: each
/// `HTTPClient` serializes its own calls (one connection), so the pool lends
/// a free one, or makes one, and keeps up to `idle` for reuse (their
/// connections stay alive).
public final class HTTPClientPool: Sendable {
    private let free = Mutex<[HTTPClient]>([])
    public let idle: Int

    public init(idle: Int = 8) { self.idle = max(1, idle) }

    public func withClient<T>(_ body: (HTTPClient) async throws -> T) async throws -> T {
        let client = try free.withLock { $0.popLast() } ?? HTTPClient()
        defer { free.withLock { if $0.count < idle { $0.append(client) } } }
        return try await body(client)
    }
}
