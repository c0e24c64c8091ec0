import ArgumentParser
import DaemonRuntime
import Exporter
import Foundation
import Logging
import OperatorCLI

/// `aiops exporter`: the topics as the broker sees them and the incident log
/// as the domain sees it, at `/metrics` for Prometheus — log-end offsets,
/// consumer groups' committed offsets, lag and Burrow-style status, dead
/// letters by source, group and reason, and the figures folded from the log
/// (incidents by state, events by type, time to triage, approvals waiting,
/// decisions, action outcomes, planner usage). docs/observability.md lists them.
struct Exporter: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exporter", abstract: "Serve topic, consumer-group and incident-log metrics at /metrics for Prometheus.")
    @OptionGroup var kafka: KafkaOptions
    @Option(help: "Address of /metrics, /healthz, /readyz.") var host = "127.0.0.1"
    @Option(help: "Port (EXPORTER_PORT).") var port: Int?
    @Option(help: "Consumer groups to follow, comma-separated.")
    var groups = ExporterConfiguration.defaultGroups.joined(separator: ",")
    @Option(help: "Seconds between offset samples.") var interval = 15.0
    @Option(help: "Samples a group's status is judged over (OK, STALLED, STOPPED).") var window = 5
    @Option(help: "Hours a resolved incident's state is kept after the log moves past its resolution (AIOPS_SNAPSHOT_RETAIN_HOURS, 24).")
    var retainHours: Double?

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        guard let keyring = try kafka.keyring() else {
            throw ValidationError("--trusted-keys-file or AIOPS_TRUSTED_KEYS_FILE: only authentic events are counted")
        }
        guard interval > 0, window >= 3 else { throw ValidationError("--interval must be positive and --window at least 3") }
        let registry = Observability.bootstrap(service: "aiops-exporter", level: .notice)
        let logger = Logger(label: "aiops-exporter")
        var configuration = ExporterConfiguration(kafka: try kafka.configuration, topics: kafka.topics, keyring: keyring)
        configuration.host = host
        configuration.port = port ?? Int(env["EXPORTER_PORT"] ?? "") ?? 9101
        configuration.groups = groups.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
        configuration.interval = .milliseconds(Int(interval * 1000))
        configuration.window = window
        // The daemons' own setting (its default, its check of the value) when the flag is not given.
        let retain = try retainHours ?? ConfigSource(environment: env).double(SnapshotConfiguration.retainHours)
        guard retain >= 0 else { throw ValidationError("--retain-hours must be 0 or more") }
        configuration.retain = retain * 3600
        logger.notice("aiops exporter on \(host):\(configuration.port)")
        try await DaemonMain.runServiceGroup(buildExporter(configuration, registry: registry, logger: logger), logger: logger)
    }
}
