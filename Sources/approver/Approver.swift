import Actions
import Approval
import ArgumentParser
import Crypto
import DaemonRuntime
import Foundation
import IncidentLog
import Kafka
import Logging
import ServiceLifecycle

/// approver: answers every ActionProposed (policy approval, human request or
/// rejection) and serves the approvals API for named humans.
@main
struct ApproverDaemon: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approver",
        abstract: "Approval gate: policy approvals, human approvals over an authenticated API, expiry.",
        discussion: """
            Environment: KAFKA_BROKERS, KAFKA_PROPERTIES, AIOPS_TOPIC_PREFIX, ACTIONS_CATALOG
            (examples/actions/catalog.yaml), APPROVAL_POLICY (examples/actions/approval-policy.yaml),
            APPROVERS_FILE (YAML: approvers with name, token_sha256, roles), APPROVAL_SIGNING_KEY (required, shared
            with the executor), APPROVER_GROUP (aiops-approver), APPROVER_HOST/APPROVER_PORT (127.0.0.1:9098).
            Notifications (optional): SLACK_WEBHOOK_URL, NOTIFY_WEBHOOK_URL, NOTIFY_WEBHOOK_TOKEN, APPROVER_PUBLIC_URL
            (links in messages), NOTIFY_TIMEOUT_MS (10000), NOTIFY_ATTEMPTS (3). Slack buttons: SLACK_SIGNING_SECRET
            (the app's signing secret; approvers map to Slack members with slack_user_id in APPROVERS_FILE).
            """)

    func run() async throws {
        let src = ConfigSource()
        _ = Observability.bootstrap(service: "approver")
        let logger = Logger(label: "approver")
        let settings = try DaemonSettings(service: "approver", source: src)
        let signingKey = SymmetricKey(data: try src.approvalSigningKey())
        let catalog = try ActionCatalog.load(path: src.string(nil, env: "ACTIONS_CATALOG", default: "examples/actions/catalog.yaml"))
        let policyPath = src.string(nil, env: "APPROVAL_POLICY", default: "examples/actions/approval-policy.yaml")
        guard let policyText = FileManager.default.contents(atPath: policyPath) else { throw ConfigError("cannot read \(policyPath)") }
        let policy = try ApprovalPolicy.load(yaml: String(decoding: policyText, as: UTF8.self))
        guard let approversPath = src.optionalString(nil, env: "APPROVERS_FILE"),
              let approversText = FileManager.default.contents(atPath: approversPath) else {
            throw ConfigError("APPROVERS_FILE must name a YAML file of approvers (name, token_sha256, roles)")
        }
        let directory = try ApproverDirectory.load(yaml: String(decoding: approversText, as: UTF8.self))
        let group = src.string(nil, env: "APPROVER_GROUP", default: "aiops-approver")
        let handler = ApproverHandler(catalog: catalog, policy: policy, signingKey: signingKey,
                                      topics: settings.topics, logger: logger)
        // Rebuild pending approvals and rate-limit windows from the log before answering anything.
        try await IncidentLogReader.forEachEvent(topics: settings.topics, configuration: settings.kafka, logger: logger) {
            handler.observe($0)
        }
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(kafka: settings.kafka), logger: logger)
        let consumer = try KafkaConsumer(configuration: KafkaConsumerConfiguration(kafka: settings.kafka, groupID: group,
                                                                                   topics: [settings.topics.incidents]),
                                         logger: logger)
        let loop = ConsumeLoop(consumer: consumer, producer: producer, handler: handler, topics: settings.topics,
                               group: group, logger: logger)
        let slack = src.optionalString(nil, env: "SLACK_SIGNING_SECRET").map { SlackSignatureVerifier(signingSecret: $0) }
        let api = buildApproverApplication(handler: handler, directory: directory, producer: producer, topics: settings.topics,
                                           host: src.string(nil, env: "APPROVER_HOST", default: "127.0.0.1"),
                                           port: try src.int(nil, env: "APPROVER_PORT", default: 9098), slack: slack,
                                           logger: logger)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: ProducerService(producer)), .init(service: api), .init(service: loop),
            .init(service: ExpiryService(handler: handler, producer: producer, topics: settings.topics, logger: logger)),
        ]
        let notifications = try NotificationConfiguration.fromEnvironment(src)
        if notifications.isEnabled {
            // Its own consumer group: people are told about what is in the log, at least once.
            let notifyGroup = "\(group)-notify"
            let notifyConsumer = try KafkaConsumer(
                configuration: KafkaConsumerConfiguration(kafka: settings.kafka, groupID: notifyGroup, topics: [settings.topics.incidents]),
                logger: logger)
            let notifier = NotificationHandler(approver: handler, notifier: try Notifier(configuration: notifications, logger: logger))
            services.append(.init(service: ConsumeLoop(consumer: notifyConsumer, producer: producer, handler: notifier,
                                                       topics: settings.topics, group: notifyGroup, logger: logger)))
        }
        logger.info("approver started", metadata: ["group": "\(group)", "approvers": "\(directory.entries.count)",
                                                   "slack_callbacks": "\(slack != nil)", "notifications": "\(notifications.isEnabled)"])
        try await ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint],
                                                    logger: logger)).run()
    }
}
