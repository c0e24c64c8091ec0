import Actions
import Foundation
import DaemonRuntime
import Kafka
import Logging
import Prometheus
import ServiceLifecycle

/// executor's services, its ledger rebuilt from the incident log first (never
/// run twice what the log says already started). `main` and the tests call this.
public func buildExecutor(_ configuration: ExecutorConfiguration, registry: PrometheusCollectorRegistry?,
                          logger: Logger) async throws -> [any Service] {
    let catalog = try ActionCatalog.load(path: configuration.catalogPath)
    let policy = try ApprovalPolicy.load(path: configuration.policyPath)
    // A snapshot forgets an incident's actions `retain` after its resolution; an approval of one of them must not be
    // valid any longer than that, or a replay of it could run what the executor no longer remembers running.
    if let retain = configuration.snapshot.retain, retain < policy.approvalTTLSeconds + policy.approvalValidSeconds {
        throw ConfigError("AIOPS_SNAPSHOT_RETAIN_HOURS=\(configuration.snapshot.retainHours) is shorter than a request may wait "
                          + "(approval_ttl_seconds \(Int(policy.approvalTTLSeconds))) plus how long its approval is valid "
                          + "(approval_valid_seconds \(Int(policy.approvalValidSeconds))): the executor would forget actions that "
                          + "a replayed approval could ask for again")
    }
    let topics = configuration.common.topics
    let producer = try configuration.common.producer(logger: logger)
    // With snapshots the executor already forgets an incident's actions `retain` after its resolution; it forgets them
    // at run time too, so its memory follows the actions that can still be asked for, not the log's length.
    let ledger = ExecutionLedger(retain: configuration.snapshot.retain)
    // The ledger reads what ran and what was closed, nothing else.
    let snapshots = configuration.snapshot.store(daemon: ExecutorConfiguration.daemon, key: configuration.common.key) {
        ExecutionLedger.reads($0)
    }
    try await IncidentLogReader.forEachEvent(authenticator: configuration.common.authenticator, configuration: configuration.common.kafka,
                                             snapshot: snapshots, logger: logger) {
        ledger.apply($0)
    }
    let handler = ExecutorHandler(catalog: catalog, keyring: configuration.common.keyring, policy: policy, producer: producer,
                                  topics: topics, ledger: ledger, concurrency: configuration.concurrency, logger: logger)
    return try ConsumerDaemon(name: ExecutorConfiguration.daemon, common: configuration.common, endpoint: configuration.endpoint,
                              topic: topics.incidents, handler: handler, producer: producer)
        .services(registry: registry, logger: logger) + configuration.snapshot.services(snapshots, configuration.common, logger: logger)
}
