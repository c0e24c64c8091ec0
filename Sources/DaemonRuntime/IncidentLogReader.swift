import Foundation
import IncidentLog
import Kafka
import Logging

/// Reads the incident log to its current end: how daemons rebuild their state before acting.
public enum IncidentLogReader {
    /// Calls `body` for every event `authenticator` accepts, in log order per incident; returns how many
    /// there were. Rejected records (forged, malformed) are skipped and counted in the log, never folded in.
    ///
    /// With a `snapshot` store, the events of the last snapshot are folded first and only the log after it is
    /// read; then a new snapshot is written at the end just read. A snapshot this daemon cannot trust (not
    /// signed by its key, torn, another topic, offsets beyond the log's end — the topic was recreated) is
    /// set aside with a warning and the whole log is read.
    @discardableResult
    public static func forEachEvent(authenticator: RecordAuthenticator, configuration: KafkaConfiguration,
                                    snapshot store: SnapshotStore? = nil, logger: Logger,
                                    _ body: (IncidentEvent) -> Void) async throws -> Int {
        let (snapshot, tail, next, rejected) = try await readTail(authenticator: authenticator, configuration: configuration,
                                                                   store: store, logger: logger)
        let last = next.lastRecords
        for e in snapshot?.events ?? [] { body(e) }
        for e in tail { body(e) }
        if rejected > 0 { logger.warning("skipped records of the incident log that are not facts", metadata: ["rejected": "\(rejected)"]) }
        if let store {
            let folded = (snapshot?.folded ?? 0) + tail.count
            do {
                try store.save(LogSnapshot(topic: authenticator.topics.incidents, offsets: next.offsets, lastRecords: last,
                                           events: (snapshot?.events ?? []) + tail, folded: folded))
            } catch {
                logger.warning("could not write the start-up snapshot; the next start reads more of the log",
                               metadata: ["path": "\(store.path)", "error": "\(error)"])
            }
            logger.info("state rebuilt", metadata: ["from_snapshot": "\(snapshot?.events.count ?? 0)", "tail": "\(tail.count)",
                                                    "stands_for": "\(folded)"])
        }
        return (snapshot?.events.count ?? 0) + tail.count
    }

    /// Brings `store`'s snapshot up to the log's current end without folding anything (the running daemon's
    /// state is its own): what keeps a long-running daemon's next start short.
    public static func refresh(_ store: SnapshotStore, authenticator: RecordAuthenticator, configuration: KafkaConfiguration,
                               logger: Logger) async throws {
        let (snapshot, tail, next, _) = try await readTail(authenticator: authenticator, configuration: configuration,
                                                            store: store, logger: logger)
        guard !tail.isEmpty || snapshot == nil else { return }
        try store.save(LogSnapshot(topic: authenticator.topics.incidents, offsets: next.offsets, lastRecords: next.lastRecords,
                                   events: (snapshot?.events ?? []) + tail, folded: (snapshot?.folded ?? 0) + tail.count))
    }

    /// Where a read ended: the next offset per partition and the digest of the record just before it.
    struct Position {
        var offsets: [Int32: Int64] = [:]
        var lastRecords: [Int32: String] = [:]
    }

    /// The trusted snapshot (if any), the authenticated events after it, where the read ended, and how many
    /// records were refused.
    static func readTail(authenticator: RecordAuthenticator, configuration: KafkaConfiguration, store: SnapshotStore?,
                         logger: Logger) async throws -> (LogSnapshot?, [IncidentEvent], Position, Int) {
        let topic = authenticator.topics.incidents
        var snapshot: LogSnapshot?
        do { snapshot = try store?.load() } catch {
            logger.warning("start-up snapshot set aside; reading the whole log", metadata: ["error": "\(error)"])
        }
        if let s = snapshot, s.topic != topic {
            logger.warning("start-up snapshot is of another topic; reading the whole log", metadata: ["topic": "\(s.topic)"])
            snapshot = nil
        }
        if let s = snapshot, let read = try await read(topic, from: s, authenticator: authenticator, configuration: configuration,
                                                        logger: logger) {
            return (s, read.0, read.1, read.2)
        }
        if snapshot != nil { logger.warning("start-up snapshot does not fit the log (recreated or truncated); reading the whole log") }
        let (records, next) = try await KafkaTopicReader(topic: topic, configuration: configuration, logger: logger)
            .readToEndWithPositions()
        let (tail, position, rejected) = authenticated(records, next: next, authenticator: authenticator)
        return (nil, tail, position, rejected)
    }

    /// The log after `snapshot`, starting one record early on each partition to check that record is the one the
    /// snapshot ended on; nil when it is not (the topic was recreated, truncated or repartitioned).
    static func read(_ topic: String, from snapshot: LogSnapshot, authenticator: RecordAuthenticator,
                     configuration: KafkaConfiguration, logger: Logger) async throws -> ([IncidentEvent], Position, Int)? {
        let from = snapshot.offsets.mapValues { max(0, $0 - 1) }
        let reader = try KafkaTopicReader(topic: topic, configuration: configuration, logger: logger, from: from)
        let marks = try await reader.watermarks()
        guard marks.count == snapshot.offsets.count,
              snapshot.offsets.allSatisfy({ p, o in marks[p].map { o <= $0.high && (o == 0 || o - 1 >= $0.low) } ?? false })
        else { return nil }
        var (records, next) = try await reader.readToEndWithPositions()
        for (p, o) in snapshot.offsets where o > 0 {
            guard let i = records.firstIndex(where: { $0.partition == p }), records[i].offset == o - 1,
                  LogSnapshot.digest(records[i].value) == snapshot.lastRecords[p] else { return nil }
            records.remove(at: i)
        }
        for (p, o) in snapshot.offsets where next[p].map({ $0 < o }) ?? true { next[p] = o }
        var (tail, position, rejected) = authenticated(records, next: next, authenticator: authenticator)
        for (p, d) in snapshot.lastRecords where position.lastRecords[p] == nil { position.lastRecords[p] = d }
        return (tail, position, rejected)
    }

    static func authenticated(_ records: [KafkaConsumerMessage], next: [Int32: Int64], authenticator: RecordAuthenticator)
        -> ([IncidentEvent], Position, Int) {
        var tail: [IncidentEvent] = []
        var position = Position(offsets: next)
        var rejected = 0
        for m in records {
            position.lastRecords[m.partition] = LogSnapshot.digest(m.value)
            guard let e = try? authenticator.check(m) else { rejected += 1; continue }
            tail.append(e)
        }
        return (tail, position, rejected)
    }
}
