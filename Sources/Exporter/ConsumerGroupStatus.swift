/// A consumer group's progress as Burrow judges it, from samples of its committed offsets and the log end.
public enum ConsumerGroupStatus: String, Sendable, CaseIterable {
    /// Caught up, or catching up.
    case ok = "OK"
    /// Committing, but falling further behind at every sample.
    case stalled = "STALLED"
    /// Not committing at all while there is something to read.
    case stopped = "STOPPED"

    public struct Sample: Sendable, Equatable {
        public var committed: Int64
        public var logEnd: Int64
        public init(committed: Int64, logEnd: Int64) { self.committed = committed; self.logEnd = logEnd }
        public var lag: Int64 { max(0, logEnd - committed) }
    }

    /// The status of one partition from its last samples, oldest first (a full window: at least 3).
    public static func of(_ samples: [Sample]) -> ConsumerGroupStatus {
        guard let last = samples.last, samples.count >= 3 else { return .ok }
        if last.lag == 0 { return .ok }
        if samples.allSatisfy({ $0.committed == samples[0].committed }) { return .stopped }
        let growing = zip(samples, samples.dropFirst()).allSatisfy { $1.lag > $0.lag }
        return growing ? .stalled : .ok
    }

    /// A group's status: its worst partition's.
    public static func worst(_ statuses: [ConsumerGroupStatus]) -> ConsumerGroupStatus {
        statuses.contains(.stopped) ? .stopped : statuses.contains(.stalled) ? .stalled : .ok
    }
}
