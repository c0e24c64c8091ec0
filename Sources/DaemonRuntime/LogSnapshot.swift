import Crypto
import Foundation
import IncidentLog

/// A daemon's restart point on the incident log: the authenticated events of
/// the incidents it still needs, and the offset per partition where the log
/// continues. A restart folds these events, then reads only the tail, so
/// start-up does not grow with history. Incidents resolved longer than the
/// retention before the newest event are left out (evicted): they need no
/// state, and a late duplicate approval for one is long expired.
public struct LogSnapshot: Sendable, Codable {
    public static let version = 1
    public var version = LogSnapshot.version
    public var topic: String
    /// Next offset to read, per partition.
    public var offsets: [Int32: Int64]
    /// A digest of the record just before each offset: a restart reads that record again and compares, so a
    /// topic deleted and refilled past the same offsets is noticed.
    public var lastRecords: [Int32: String]
    public var events: [IncidentEvent]
    /// How many events of the log it stands for (the snapshot's and every one it left out).
    public var folded: Int

    public init(topic: String, offsets: [Int32: Int64], lastRecords: [Int32: String], events: [IncidentEvent], folded: Int) {
        self.topic = topic
        self.offsets = offsets
        self.lastRecords = lastRecords
        self.events = events
        self.folded = folded
    }

    /// What `lastRecords` holds for a record: SHA-256 of its value.
    public static func digest(_ value: [UInt8]) -> String {
        SHA256.hash(data: value).map { String(format: "%02x", $0) }.joined()
    }

    /// `events` without the incidents resolved more than `retain` seconds before the newest event.
    public static func retained(_ events: [IncidentEvent], retain: TimeInterval) -> [IncidentEvent] {
        guard let newest = events.map(\.occurredAt).max() else { return [] }
        var resolvedAt: [String: Date] = [:]
        for e in events {
            if case .incidentResolved = e.payload { resolvedAt[e.incidentID] = e.occurredAt }
        }
        let evicted = Set(resolvedAt.filter { newest.timeIntervalSince($0.value) > retain }.keys)
        return evicted.isEmpty ? events : events.filter { !evicted.contains($0.incidentID) }
    }
}

/// Where one daemon keeps its snapshot: one file, written atomically and
/// signed with the daemon's own key, so a file it did not write (or a torn
/// one) is refused and the daemon reads the whole log instead.
public struct SnapshotStore: Sendable {
    public let path: String
    public let key: ProducerKey
    /// Seconds a resolved incident stays in the snapshot.
    public let retain: TimeInterval

    public init(path: String, key: ProducerKey, retain: TimeInterval) {
        self.path = path
        self.key = key
        self.retain = retain
    }

    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    /// The snapshot, nil when there is none; throws `Invalid` when there is one this daemon cannot trust.
    public func load() throws -> LogSnapshot? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        guard let newline = data.lastIndex(of: UInt8(ascii: "\n")) else { throw Invalid(description: "\(path): no signature line") }
        let body = data[data.startIndex..<newline]
        guard let signature = Data(base64Encoded: data[(newline + 1)...]),
              key.publicKey.isValidSignature(signature, for: SHA256.hash(data: body).withUnsafeBytes { Data($0) }) else {
            throw Invalid(description: "\(path): not signed by this daemon's key")
        }
        let snapshot: LogSnapshot
        do { snapshot = try JSONDecoder().decode(LogSnapshot.self, from: body) } catch {
            throw Invalid(description: "\(path): \(error)")
        }
        guard snapshot.version == LogSnapshot.version else {
            throw Invalid(description: "\(path): version \(snapshot.version), this build reads \(LogSnapshot.version)")
        }
        return snapshot
    }

    /// Writes `snapshot` (its events pruned to the retention) in place of the old one, atomically.
    public func save(_ snapshot: LogSnapshot) throws {
        var pruned = snapshot
        pruned.events = LogSnapshot.retained(snapshot.events, retain: retain)
        var body = try JSONEncoder().encode(pruned)
        let signature = try key.privateKey.signature(for: SHA256.hash(data: body).withUnsafeBytes { Data($0) })
        body.append(UInt8(ascii: "\n"))
        body.append(Data(signature.base64EncodedString().utf8))
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let temporary = path + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: body, attributes: [.posixPermissions: 0o600]) else {
            throw Invalid(description: "cannot write \(temporary)")
        }
        guard rename(temporary, path) == 0 else { throw Invalid(description: "cannot rename \(temporary) to \(path): errno \(errno)") }
    }
}
