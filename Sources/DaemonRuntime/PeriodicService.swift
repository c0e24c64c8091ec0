import ServiceLifecycle

/// Does `work` every `interval` until the service group shuts down: the sleep
/// ends on graceful shutdown, so the group never waits out an interval.
public struct PeriodicService: Service {
    let interval: Duration
    let work: @Sendable () async -> Void

    public init(every interval: Duration, _ work: @escaping @Sendable () async -> Void) {
        self.interval = interval
        self.work = work
    }

    public func run() async throws {
        while !Task.isCancelled {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch { return }
            await work()
        }
    }
}
