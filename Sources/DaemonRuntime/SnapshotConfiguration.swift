import Foundation
import IncidentLog
import Logging
import ServiceLifecycle

/// Start-up snapshots (`LogSnapshot`) of the daemons that rebuild state from the incident log.
public struct SnapshotConfiguration: Sendable {
    public static let stateDir = Setting(
        "AIOPS_STATE_DIR", flag: "state-dir", default: "",
        "directory for this daemon's start-up snapshot (signed with its key; keep it as private as the key); empty: read the whole log on every start")
    public static let retainHours = Setting("AIOPS_SNAPSHOT_RETAIN_HOURS", default: "24",
                                            "hours a resolved incident stays in the snapshot (late feedback and duplicates)")
    public static let interval = Setting("AIOPS_SNAPSHOT_INTERVAL_SECONDS", default: "300",
                                         "how often a running daemon brings its snapshot up to the log's end")
    public static let settings = [stateDir, retainHours, interval]

    public var directory: String?
    public var retainHours: Double
    public var intervalSeconds: Double

    public init(_ src: ConfigSource) throws {
        let dir = try src.string(Self.stateDir)
        directory = dir.isEmpty ? nil : dir
        retainHours = try src.double(Self.retainHours)
        intervalSeconds = try src.double(Self.interval)
        guard retainHours >= 0 else { throw ConfigError("AIOPS_SNAPSHOT_RETAIN_HOURS must be 0 or more, not \(retainHours)") }
        guard intervalSeconds >= 1 else { throw ConfigError("AIOPS_SNAPSHOT_INTERVAL_SECONDS must be at least 1, not \(intervalSeconds)") }
    }

    /// Seconds a resolved incident stays in a snapshot; nil when snapshots are off.
    public var retain: TimeInterval? { directory == nil ? nil : retainHours * 3600 }

    public init(directory: String?, retainHours: Double = 24, intervalSeconds: Double = 300) {
        self.directory = directory
        self.retainHours = retainHours
        self.intervalSeconds = intervalSeconds
    }

    /// What keeps `store`'s snapshot close to the log's end while the daemon runs, so its next start reads a short
    /// tail however long it ran (nothing when snapshots are off). It reads the log on its own: the live state is
    /// never touched.
    public func services(_ store: SnapshotStore?, _ common: CommonConfiguration, logger: Logger) -> [any Service] {
        guard let store else { return [] }
        let authenticator = common.authenticator, kafka = common.kafka
        return [PeriodicService(every: .milliseconds(Int64(intervalSeconds * 1000))) {
            do {
                try await IncidentLogReader.refresh(store, authenticator: authenticator, configuration: kafka, logger: logger)
            } catch {
                // The previous snapshot stays valid: the next start reads a longer tail, nothing is lost.
                logger.warning("snapshot refresh failed; trying again next interval", metadata: ["error": "\(error)"])
            }
        }]
    }

    /// `daemon`'s store, nil when snapshots are off.
    /// `keeps`: the events the daemon's fold reads (the resolution of an incident is always kept: it is what evicts).
    public func store(daemon: String, key: ProducerKey, keeps: @escaping @Sendable (IncidentEvent) -> Bool = { _ in true })
        -> SnapshotStore? {
        directory.map {
            SnapshotStore(path: "\($0)/\(daemon).snapshot", key: key, retain: retainHours * 3600) { e in
                if case .incidentResolved = e.payload { return true }
                return keeps(e)
            }
        }
    }
}
