import DaemonRuntime
import Foundation
import IncidentLog
import Kafka
import TestSupport
import Testing

/// Start-up that does not grow with history: a restart folds the snapshot's
/// events and reads only the log after it; resolved incidents leave the
/// snapshot; a snapshot the daemon cannot trust is set aside, never folded.
@Suite("start-up snapshots (real Kafka)")
struct StartupSnapshotTests {
    static func event(_ incident: String, _ n: Int, at: Date, resolved: Bool = false) -> IncidentEvent {
        let payload: IncidentEventPayload = resolved
            ? .incidentResolved(IncidentResolved(reason: "all alerts resolved"))
            : .alertResolved(AlertResolved(alertID: "a\(n)", fingerprint: "f\(n)", alertname: "A", startsAt: "s", endsAt: "e"))
        return IncidentEvent(eventID: EventIDs.event(causation: "\(incident)-\(n)", producer: "alert-ingestor", step: payload.type),
                             incidentID: EventIDs.incident(source: "snap", parts: [incident]), occurredAt: at,
                             producer: "alert-ingestor", causationID: nil, trace: .newRoot(), payload: payload)
    }

    static func append(_ events: [IncidentEvent], _ topics: TopicSet) async throws {
        let producer = try TestKafka.producer()
        _ = try await producer.send(try events.map { try IncidentEventCodec.encode($0, topics: topics) })
        await producer.close()
    }

    static func fold(_ topics: TopicSet, _ store: SnapshotStore?) async throws -> [String] {
        var seen: [String] = []
        try await IncidentLogReader.forEachEvent(authenticator: TestKeys.authenticator(topics), configuration: TestKafka.configuration(),
                                                 snapshot: store, logger: TestKafka.logger) { seen.append($0.eventID) }
        return seen
    }

    static func store(_ name: String = #function) -> SnapshotStore {
        let dir = TestScratch.path("snap").path
        return SnapshotStore(path: "\(dir)/approver.snapshot", key: TestKeys.key("approver"), retain: 3600)
    }

    @Test func aRestartFoldsTheSnapshotThenOnlyTheTailAndSeesWhatAFullReadSees() async throws {
        let topics = try TestKafka.topics()
        let store = Self.store()
        let t0 = Date()
        let first = (0..<40).map { Self.event("inc-\($0 % 5)", $0, at: t0) }
        try await Self.append(first, topics)
        #expect(try await Self.fold(topics, store).count == 40)
        let snapshot = try #require(try store.load())
        #expect(snapshot.events.count == 40 && snapshot.folded == 40)

        let second = (40..<55).map { Self.event("inc-\($0 % 5)", $0, at: t0) }
        try await Self.append(second, topics)
        let seen = try await Self.fold(topics, store)
        let full = try await Self.fold(topics, nil)
        // Same events, and per incident in the same order as a full read (the order a daemon's state depends on).
        #expect(Set(seen) == Set(full) && seen.count == full.count)
        let byIncident = { (ids: [String]) in Dictionary(grouping: ids) { id in (first + second).first { $0.eventID == id }!.incidentID } }
        #expect(byIncident(seen) == byIncident(full))
        let after = try #require(try store.load())
        #expect(after.folded == 55 && after.offsets.values.reduce(0, +) == 55)

        // Nothing new: a restart reads no tail at all.
        #expect(try await Self.fold(topics, store).count == 55)
        #expect(try store.load()?.folded == 55)
    }

    @Test func incidentsResolvedLongAgoLeaveTheSnapshot() async throws {
        let topics = try TestKafka.topics()
        let store = Self.store()
        let old = Date().addingTimeInterval(-3 * 86_400)
        try await Self.append([Self.event("inc-old", 1, at: old), Self.event("inc-old", 2, at: old, resolved: true),
                               Self.event("inc-recent", 3, at: Date().addingTimeInterval(-60), resolved: true),
                               Self.event("inc-open", 4, at: Date())], topics)
        #expect(try await Self.fold(topics, store).count == 4)
        let kept = try #require(try store.load()).events.map(\.incidentID)
        let expected = Set(["inc-recent", "inc-open"].map { EventIDs.incident(source: "snap", parts: [$0]) })
        #expect(Set(kept) == expected, "resolved 3 days ago (retention 1 h) is evicted: \(kept)")
        // The next start folds only what is kept, plus the tail.
        try await Self.append([Self.event("inc-open", 5, at: Date())], topics)
        #expect(try await Self.fold(topics, store).count == 3, "the two kept, then the one new event")
    }

    @Test func aSnapshotItCannotTrustIsSetAsideAndTheWholeLogRead() async throws {
        let topics = try TestKafka.topics()
        let store = Self.store()
        try await Self.append((0..<6).map { Self.event("inc-a", $0, at: Date()) }, topics)
        _ = try await Self.fold(topics, store)

        // Tampered: one byte changed, the signature no longer holds.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: store.path))
        bytes[bytes.startIndex + 40] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: store.path))
        #expect(throws: SnapshotStore.Invalid.self) { try store.load() }
        #expect(try await Self.fold(topics, store).count == 6)

        // Signed by another daemon's key: refused the same way.
        let foreign = SnapshotStore(path: store.path, key: TestKeys.key("executor"), retain: 3600)
        var forged = try #require(try store.load())
        forged.events += [Self.event("inc-forged", 99, at: Date())]
        try foreign.save(forged)
        #expect(try await Self.fold(topics, store).count == 6)

        // Signed by its own key but not ending on the records the log holds (a topic recreated and refilled):
        // the record before each offset is read again and compared.
        var stale = try #require(try store.load())
        stale.lastRecords = stale.lastRecords.mapValues { _ in LogSnapshot.digest(Array("another record".utf8)) }
        stale.events += [Self.event("inc-stale", 98, at: Date())]
        try store.save(stale)
        let seen = try await Self.fold(topics, store)
        #expect(seen.count == 6 && !seen.contains { $0.contains("98") })

        // Offsets beyond the log's end: set aside as well.
        var beyond = try #require(try store.load())
        beyond.offsets = beyond.offsets.mapValues { $0 + 1_000 }
        try store.save(beyond)
        #expect(try await Self.fold(topics, store).count == 6)
    }

    @Test func aDaemonKeepsOnlyWhatItsFoldReadsAndTheResolutions() async throws {
        let topics = try TestKafka.topics()
        let dir = TestScratch.path("snap").path
        let config = SnapshotConfiguration(directory: dir, retainHours: 1)
        let store = try #require(config.store(daemon: "executor", key: TestKeys.key("executor")) { e in
            if case .alertResolved = e.payload { false } else { true }
        })
        try await Self.append([Self.event("inc-a", 1, at: Date()), Self.event("inc-a", 2, at: Date(), resolved: true)], topics)
        #expect(try await Self.fold(topics, store).count == 2, "the first start folds everything")
        let kept = try #require(try store.load()).events.map(\.type)
        #expect(kept == ["IncidentResolved"], "only what the fold reads, and the resolution that evicts: \(kept)")
    }
}
