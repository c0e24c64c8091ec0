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
    let topics = configuration.common.topics
    let producer = try configuration.common.producer(logger: logger)
    let ledger = ExecutionLedger()
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
