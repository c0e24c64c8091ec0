import Kafka

/// Which records may be handled side by side: records with the same lane key
/// (the reasoner's: the incident id, which is also the record key) strictly
/// in log order, different keys concurrently, at most `limit` records in
/// flight. A partition's offset is stored only up to its earliest record
/// still in flight, so a crash redelivers everything not finished.
public struct Lanes: Sendable {
    public var limit: Int
    public var key: @Sendable (KafkaConsumerMessage) -> String

    public init(limit: Int, key: @escaping @Sendable (KafkaConsumerMessage) -> String = { $0.keyString ?? "" }) {
        self.limit = max(1, limit); self.key = key
    }
}

/// The bookkeeping behind `Lanes`: capacity, each lane's last task, and per partition the offsets in flight.
actor LaneScheduler {
    struct Partition: Hashable { var topic: String; var partition: Int32 }
    struct Offsets { var inFlight: Set<Int64> = []; var highestDone: Int64 = -1; var stored: Int64 = -1 }

    let limit: Int
    /// Stores a partition's next offset; called on the actor, so stores never overtake each other.
    let store: @Sendable (_ topic: String, _ partition: Int32, _ next: Int64) -> Void
    private var admitted = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []
    private var tails: [String: Task<Void, Error>] = [:]
    private var offsets: [Partition: Offsets] = [:]
    private var running: [Int: Task<Void, Error>] = [:]
    private var nextID = 0
    private(set) var failure: Error?

    init(limit: Int, store: @escaping @Sendable (_ topic: String, _ partition: Int32, _ next: Int64) -> Void) {
        self.limit = limit; self.store = store
    }

    /// Waits for room, then starts `work` for `message` after the lane's previous record.
    func submit(_ message: KafkaConsumerMessage, lane: String, work: @escaping @Sendable () async throws -> Void) async {
        if admitted >= limit { await withCheckedContinuation { waiting.append($0) } } else { admitted += 1 }
        let p = Partition(topic: message.topic, partition: message.partition)
        offsets[p, default: Offsets()].inFlight.insert(message.offset)
        let previous = tails[lane]
        let id = nextID
        nextID += 1
        let task = Task {
            _ = await previous?.result
            var result: Result<Void, Error> = .success(())
            do { try await work() } catch { result = .failure(error) }
            self.finished(p, offset: message.offset, lane: lane, id: id, result: result)
            try result.get()
        }
        tails[lane] = task
        running[id] = task
    }

    /// Bookkeeping for a finished record; stores the partition's offset if its finished prefix grew.
    private func finished(_ p: Partition, offset: Int64, lane: String, id: Int, result: Result<Void, Error>) {
        running[id] = nil
        if tails[lane].map({ t in running.values.contains { $0 == t } }) == false { tails[lane] = nil }
        if case .failure(let error) = result, failure == nil, !(error is CancellationError) { failure = error }
        if let next = waiting.first { waiting.removeFirst(); next.resume() } else { admitted -= 1 }
        // A failed record stays in flight: nothing after it is stored, so it comes again.
        guard case .success = result, var o = offsets[p] else { return }
        o.inFlight.remove(offset)
        o.highestDone = max(o.highestDone, offset)
        let next = o.inFlight.min() ?? (o.highestDone + 1)
        if next > o.stored {
            o.stored = next
            store(p.topic, p.partition, next)
        }
        offsets[p] = o
    }

    /// Waits for every record in flight (graceful stop); cancelling the caller cancels them.
    func drain() async {
        let tasks = Array(running.values)
        await withTaskCancellationHandler {
            for t in tasks { _ = await t.result }
        } onCancel: {
            for t in tasks { t.cancel() }
        }
    }
}
