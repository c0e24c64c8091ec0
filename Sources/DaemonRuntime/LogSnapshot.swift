import Crypto
import Foundation
import IncidentLog

/// A daemon's restart point on the incident log: the authenticated events of
/// the incidents it still needs, and the offset per partition where the log
/// continues. A restart folds these events, then reads only the tail, so
/// start-up does not grow with history. Incidents resolved longer than the
/// retention before the newest event are left out (evicted): they need no
/// state, and a late duplicate approval for one is long expired.
public struct LogSnapshot: Sendable {
    public struct Header: Sendable, Codable {
        public var version = LogSnapshot.version
        public var topic: String
        /// Next offset to read, per partition.
        public var offsets: [Int32: Int64]
        /// A digest of the record just before each offset: a restart reads that record again and compares, so a
        /// topic deleted and refilled past the same offsets is noticed.
        public var lastRecords: [Int32: String]
        /// How many events of the log it stands for (its own and every one it left out).
        public var folded: Int
    }

    public static let version = 2
    public var header: Header
    public var events: [IncidentEvent]

    public var topic: String { header.topic }
    public var offsets: [Int32: Int64] { get { header.offsets } set { header.offsets = newValue } }
    public var lastRecords: [Int32: String] { get { header.lastRecords } set { header.lastRecords = newValue } }
    public var folded: Int { header.folded }

    public init(topic: String, offsets: [Int32: Int64], lastRecords: [Int32: String], events: [IncidentEvent], folded: Int) {
        header = Header(topic: topic, offsets: offsets, lastRecords: lastRecords, folded: folded)
        self.events = events
    }

    /// What `lastRecords` holds for a record: SHA-256 of its value.
    public static func digest(_ value: [UInt8]) -> String {
        SHA256.hash(data: value).map { String(format: "%02x", $0) }.joined()
    }

    /// Events in log order, as their JSON lines, dropping an incident's once the log has moved `retain` seconds
    /// past its resolution: what a snapshot keeps, gathered while the log streams by. It holds bytes, not
    /// decoded events, so its memory is about the snapshot's size.
    public struct Retainer: Sendable {
        public let retain: TimeInterval
        private var incidents: [String] = []
        public private(set) var lines: [[UInt8]] = []
        private var resolvedAt: [String: Date] = [:]
        private var newest = Date.distantPast
        private var sincePrune = 0

        public init(retain: TimeInterval) { self.retain = retain }

        /// `line`: the event's JSON as it was read (a record's value, a snapshot's line), if it has one.
        public mutating func append(_ e: IncidentEvent, line: [UInt8]? = nil) throws {
            let bytes = try line.flatMap { $0.contains(UInt8(ascii: "\n")) ? nil : $0 } ?? e.jsonBytes()
            incidents.append(e.incidentID)
            lines.append(bytes)
            newest = max(newest, e.occurredAt)
            if case .incidentResolved = e.payload { resolvedAt[e.incidentID] = e.occurredAt }
            sincePrune += 1
            if sincePrune >= 20_000 { prune() }
        }

        public mutating func prune() {
            sincePrune = 0
            let evicted = Set(resolvedAt.filter { newest.timeIntervalSince($0.value) > retain }.keys)
            guard !evicted.isEmpty else { return }
            var keptIncidents: [String] = []
            var keptLines: [[UInt8]] = []
            for (i, id) in incidents.enumerated() where !evicted.contains(id) {
                keptIncidents.append(id)
                keptLines.append(lines[i])
            }
            incidents = keptIncidents
            lines = keptLines
            for id in evicted { resolvedAt[id] = nil }
        }
    }
}

/// Where one daemon keeps its snapshot: one file of JSON lines (a header, one
/// event per line, then the signature of everything above it), written
/// atomically and signed with the daemon's own key, so a file it did not write
/// (or a torn one) is refused and the daemon reads the whole log instead.
public struct SnapshotStore: Sendable {
    public let path: String
    public let key: ProducerKey
    /// Seconds a resolved incident stays in the snapshot.
    public let retain: TimeInterval
    /// The events this daemon's fold reads (the others need not be kept: its state is the same without them).
    public let keeps: @Sendable (IncidentEvent) -> Bool

    public init(path: String, key: ProducerKey, retain: TimeInterval, keeps: @escaping @Sendable (IncidentEvent) -> Bool = { _ in true }) {
        self.path = path
        self.key = key
        self.retain = retain
        self.keeps = keeps
    }

    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    /// The header and each event's line (not decoded yet), nil when there is no snapshot; throws `Invalid` when
    /// there is one this daemon cannot trust.
    public func loadLines() throws -> (LogSnapshot.Header, [Data])? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        guard let newline = data.lastIndex(of: UInt8(ascii: "\n")) else { throw Invalid(description: "\(path): no signature line") }
        let body = data[data.startIndex...newline]
        guard let signature = Data(base64Encoded: data[(newline + 1)...]),
              key.publicKey.isValidSignature(signature, for: Data(SHA256.hash(data: body))) else {
            throw Invalid(description: "\(path): not signed by this daemon's key")
        }
        var lines = body.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true)
        guard !lines.isEmpty else { throw Invalid(description: "\(path): no header") }
        let header: LogSnapshot.Header
        do { header = try JSONDecoder().decode(LogSnapshot.Header.self, from: lines.removeFirst()) } catch {
            throw Invalid(description: "\(path): header: \(error)")
        }
        guard header.version == LogSnapshot.version else {
            throw Invalid(description: "\(path): version \(header.version), this build reads \(LogSnapshot.version)")
        }
        return (header, lines)
    }

    /// The whole snapshot decoded (tools and tests; the reader streams `loadLines`).
    public func load() throws -> LogSnapshot? {
        guard let (header, lines) = try loadLines() else { return nil }
        var snapshot = LogSnapshot(topic: header.topic, offsets: header.offsets, lastRecords: header.lastRecords, events: [],
                                   folded: header.folded)
        do { snapshot.events = try lines.map { try JSONDecoder().decode(IncidentEvent.self, from: $0) } } catch {
            throw Invalid(description: "\(path): \(error)")
        }
        return snapshot
    }

    /// Writes `snapshot` (its events pruned to the retention) in place of the old one, atomically.
    public func save(_ snapshot: LogSnapshot) throws {
        var retainer = LogSnapshot.Retainer(retain: retain)
        for e in snapshot.events where keeps(e) { try retainer.append(e) }
        retainer.prune()
        try save(header: snapshot.header, lines: retainer.lines)
    }

    /// Writes the header and the event lines (already pruned) in place of the old snapshot, atomically.
    public func save(header: LogSnapshot.Header, lines: [[UInt8]]) throws {
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let temporary = path + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: nil, attributes: [.posixPermissions: 0o600]),
              let file = FileHandle(forWritingAtPath: temporary) else {
            throw Invalid(description: "cannot write \(temporary)")
        }
        var hash = SHA256()
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 20)
        func write(_ bytes: [UInt8]) throws {
            buffer += bytes
            buffer.append(UInt8(ascii: "\n"))
            if buffer.count >= 1 << 20 { try flush() }
        }
        func flush() throws {
            hash.update(data: buffer)
            try file.write(contentsOf: buffer)
            buffer.removeAll(keepingCapacity: true)
        }
        do {
            try write(Array(try JSONEncoder().encode(header)))
            for line in lines { try write(line) }
            try flush()
            let signature = try key.privateKey.signature(for: Data(hash.finalize()))
            try file.write(contentsOf: Data(signature.base64EncodedString().utf8))
            try file.synchronize()
            try file.close()
        } catch {
            try? file.close()
            throw error
        }
        guard rename(temporary, path) == 0 else { throw Invalid(description: "cannot rename \(temporary) to \(path): errno \(errno)") }
    }
}
