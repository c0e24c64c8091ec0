import Actions
import DaemonRuntime
import Foundation
import Kafka
import Logging
import Prometheus
import ServiceLifecycle

/// approver's services: its state rebuilt from the incident log first, then
/// the consume loop, the API (with the page and the operational endpoints),
/// expiry and, when configured, notifications. `main` and the tests call this.
public func buildApprover(_ configuration: ApproverConfiguration, registry: PrometheusCollectorRegistry?,
                          logger: Logger) async throws -> [any Service] {
    let catalog = try ActionCatalog.load(path: configuration.catalogPath)
    let policy = try ApprovalPolicy.load(path: configuration.policyPath)
    guard let approversText = FileManager.default.contents(atPath: configuration.approversPath) else {
        throw ConfigError("APPROVERS_FILE: cannot read \(configuration.approversPath)")
    }
    let directory = try ApproverDirectory.load(yaml: String(decoding: approversText, as: UTF8.self))
    let topics = configuration.common.topics
    let kafka = configuration.common.kafka
    let handler = ApproverHandler(catalog: catalog, policy: policy, signingKey: configuration.common.key,
                                  topics: topics, logger: logger)
    // Rebuild pending approvals and rate-limit windows from the log before answering anything.
    let snapshots = configuration.snapshot.store(daemon: ApproverConfiguration.daemon, key: configuration.common.key)
    try await IncidentLogReader.forEachEvent(authenticator: configuration.common.authenticator, configuration: kafka, snapshot: snapshots,
                                             logger: logger) { handler.observe($0) }
    let producer = try configuration.common.producer(logger: logger)
    let slack = configuration.slackSigningSecret.map { SlackSignatureVerifier(signingSecret: $0) }
    let decisions = DecisionRecorder(handler: handler, producer: producer, topics: topics, logger: logger)
    let api = buildApproverApplication(handler: handler, decisions: decisions, directory: directory, producer: producer, topics: topics,
                                       host: configuration.endpoint.host, port: configuration.endpoint.port, slack: slack,
                                       registry: registry, logger: logger)
    // Pending approvals past their deadline expire through the one writer of decisions (an expiry never races a
    // human decision; a failed write is tried again next time).
    var extra: [any Service] = [PeriodicService(every: .seconds(5)) { _ = await decisions.expireDue() }]
        + configuration.snapshot.services(snapshots, configuration.common, logger: logger)
    if configuration.notifications.isEnabled {
        // Its own consumer group: people are told about what is in the log, at least once.
        let notifier = NotificationHandler(approver: handler,
                                           notifier: try Notifier(configuration: configuration.notifications, logger: logger))
        var endpoint = configuration.endpoint
        endpoint.group += DaemonGroup.notifySuffix
        let consumer = try KafkaConsumer(configuration: endpoint.consumer(kafka: kafka, topics: [topics.incidents]), logger: logger)
        extra.append(ConsumeLoop(consumer: consumer, producer: producer, handler: notifier, authenticator: configuration.common.authenticator,
                                 group: endpoint.group, logger: logger))
    }
    let consumer = try KafkaConsumer(configuration: configuration.endpoint.consumer(kafka: kafka, topics: [topics.incidents]),
                                     logger: logger)
    Observability.attachKafkaStatistics(consumer: consumer, group: configuration.endpoint.group, topics: [topics.incidents])
    let loop = ConsumeLoop(consumer: consumer, producer: producer, handler: handler, authenticator: configuration.common.authenticator,
                           group: configuration.endpoint.group, logger: logger)
    logger.info("approver started", metadata: ["group": "\(configuration.endpoint.group)", "approvers": "\(directory.entries.count)",
                                               "slack_callbacks": "\(slack != nil)",
                                               "notifications": "\(configuration.notifications.isEnabled)"])
    return [ProducerService(producer), api] + extra + [loop]
}
