import Foundation
import IncidentLog
import Kafka
import Logging

/// Reads the incident log to its current end: how daemons rebuild their state before acting.
public enum IncidentLogReader {
    /// Calls `body` for every event `authenticator` accepts, in log order per partition; returns how many
    /// there were. Rejected records (forged, malformed) are skipped and counted in the log, never folded in.
    /// The log streams by in batches: memory holds the daemon's state, not the log.
    ///
    /// With a `snapshot` store, the events of the last snapshot are folded first and only the log after it is
    /// read; then a new snapshot is written at the end just read. A snapshot this daemon cannot trust (not
    /// signed by its key, torn, another topic, not ending on the record the log holds there — the topic was
    /// recreated, truncated or repartitioned) is set aside with a warning and the whole log is read.
    @discardableResult
    public static func forEachEvent(authenticator: RecordAuthenticator, configuration: KafkaConfiguration,
                                    snapshot store: SnapshotStore? = nil, logger: Logger,
                                    _ body: (IncidentEvent) -> Void) async throws -> Int {
        var retainer = store.map { LogSnapshot.Retainer(retain: $0.retain) }
        var count = 0
        let read = try await stream(authenticator: authenticator, configuration: configuration, store: store, logger: logger) { e, line in
            body(e)
            if store?.keeps(e) ?? false { try retainer?.append(e, line: line) }
            count += 1
        }
        if read.rejected > 0 {
            logger.warning("skipped records of the incident log that are not facts", metadata: ["rejected": "\(read.rejected)"])
        }
        if let store, var retainer {
            retainer.prune()
            let folded = (read.snapshot?.folded ?? 0) + count - read.fromSnapshot
            do {
                try store.save(header: .init(topic: authenticator.topics.incidents, offsets: read.position.offsets,
                                             lastRecords: read.position.lastRecords, folded: folded), lines: retainer.lines)
            } catch {
                logger.warning("could not write the start-up snapshot; the next start reads more of the log",
                               metadata: ["path": "\(store.path)", "error": "\(error)"])
            }
            logger.info("state rebuilt", metadata: ["from_snapshot": "\(read.fromSnapshot)", "tail": "\(count - read.fromSnapshot)",
                                                    "stands_for": "\(folded)", "kept": "\(retainer.lines.count)"])
        }
        return count
    }

    /// Brings `store`'s snapshot up to the log's current end without folding anything (the running daemon's
    /// state is its own): what keeps a long-running daemon's next start short.
    public static func refresh(_ store: SnapshotStore, authenticator: RecordAuthenticator, configuration: KafkaConfiguration,
                               logger: Logger) async throws {
        var retainer = LogSnapshot.Retainer(retain: store.retain)
        var count = 0
        let read = try await stream(authenticator: authenticator, configuration: configuration, store: store, logger: logger) {
            if store.keeps($0) { try retainer.append($0, line: $1) }
            count += 1
        }
        let tail = count - read.fromSnapshot
        guard tail > 0 || read.snapshot == nil else { return }
        retainer.prune()
        try store.save(header: .init(topic: authenticator.topics.incidents, offsets: read.position.offsets,
                                     lastRecords: read.position.lastRecords, folded: (read.snapshot?.folded ?? 0) + tail),
                       lines: retainer.lines)
    }

    /// Where a read ended: the next offset per partition and the digest of the record just before it.
    struct Position {
        var offsets: [Int32: Int64] = [:]
        var lastRecords: [Int32: String] = [:]
    }

    struct Read {
        var snapshot: LogSnapshot.Header?
        var fromSnapshot = 0
        var position: Position
        var rejected: Int
    }

    /// Hands `body` the trusted snapshot's events, then every authenticated event after it, each with its JSON line.
    static func stream(authenticator: RecordAuthenticator, configuration: KafkaConfiguration, store: SnapshotStore?,
                       logger: Logger, _ body: (IncidentEvent, [UInt8]) throws -> Void) async throws -> Read {
        let topic = authenticator.topics.incidents
        var snapshot: LogSnapshot.Header?
        var lines: [Data] = []
        do { (snapshot, lines) = try store?.loadLines() ?? (nil, []) } catch {
            logger.warning("start-up snapshot set aside; reading the whole log", metadata: ["error": "\(error)"])
        }
        if let s = snapshot, s.topic != topic {
            logger.warning("start-up snapshot is of another topic; reading the whole log", metadata: ["topic": "\(s.topic)"])
            snapshot = nil
        }
        if let s = snapshot {
            // Start one record early on each partition: that record must be the one the snapshot ended on.
            let reader = try KafkaTopicReader(topic: topic, configuration: configuration, logger: logger,
                                              from: s.offsets.mapValues { max(0, $0 - 1) })
            let marks = try await reader.watermarks()
            let fits = marks.count == s.offsets.count
                && s.offsets.allSatisfy { p, o in marks[p].map { o <= $0.high && (o == 0 || o - 1 >= $0.low) } ?? false }
            if fits, let tail = try await tail(reader, after: s, authenticator: authenticator) {
                // Decoded one line at a time: a snapshot that does not decode is set aside before anything is folded.
                var events: [IncidentEvent] = []
                do { events = try lines.map { try JSONDecoder().decode(IncidentEvent.self, from: $0) } } catch {
                    logger.warning("start-up snapshot set aside (an event does not decode); reading the whole log",
                                   metadata: ["error": "\(error)"])
                    return try await stream(authenticator: authenticator, configuration: configuration, store: nil, logger: logger, body)
                }
                for (e, line) in zip(events, lines) { try body(e, Array(line)) }
                events = []
                var position = tail.position
                for (e, line) in tail.events { try body(e, line) }
                for (p, d) in s.lastRecords where position.lastRecords[p] == nil { position.lastRecords[p] = d }
                return Read(snapshot: s, fromSnapshot: lines.count, position: position, rejected: tail.rejected)
            }
            logger.warning("start-up snapshot does not fit the log (recreated, truncated or repartitioned); reading the whole log")
        }
        let reader = try KafkaTopicReader(topic: topic, configuration: configuration, logger: logger)
        var position = Position()
        var rejected = 0
        position.offsets = try await reader.readToEnd(batch: 5_000) { records in
            for m in records {
                position.lastRecords[m.partition] = LogSnapshot.digest(m.value)
                guard let e = try? authenticator.check(m) else { rejected += 1; continue }
                try body(e, m.value)
            }
        }
        return Read(snapshot: nil, position: position, rejected: rejected)
    }

    /// The authenticated events after `snapshot` (bounded by how far the log moved on since it was taken);
    /// nil when the record before a partition's offset is not the one the snapshot ended on.
    static func tail(_ reader: KafkaTopicReader, after snapshot: LogSnapshot.Header, authenticator: RecordAuthenticator)
        async throws -> (events: [(IncidentEvent, [UInt8])], position: Position, rejected: Int)? {
        var unchecked = Set(snapshot.offsets.filter { $0.value > 0 }.keys)
        var fits = true
        var events: [(IncidentEvent, [UInt8])] = []
        var position = Position()
        var rejected = 0
        var next = try await reader.readToEnd(batch: 5_000) { records in
            for m in records where fits {
                if unchecked.contains(m.partition) {
                    unchecked.remove(m.partition)
                    fits = m.offset == snapshot.offsets[m.partition]! - 1
                        && LogSnapshot.digest(m.value) == snapshot.lastRecords[m.partition]
                    continue
                }
                position.lastRecords[m.partition] = LogSnapshot.digest(m.value)
                guard let e = try? authenticator.check(m) else { rejected += 1; continue }
                events.append((e, m.value))
            }
        }
        guard fits, unchecked.isEmpty else { return nil }
        for (p, o) in snapshot.offsets where next[p].map({ $0 < o }) ?? true { next[p] = o }
        position.offsets = next
        return (events, position, rejected)
    }
}
