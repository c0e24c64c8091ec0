import ArgumentParser
import DaemonRuntime
import Foundation
import IncidentLog
import HTTPClient
import Kafka
import Logging
import OperatorCLI

/// `aiops bench startup`: how long a daemon takes from exec to `/readyz` and
/// its peak RSS there, with a long incident log behind it — first reading the
/// whole log (no snapshot yet; it writes one), then restarting from that
/// snapshot after more events arrived. The log is a synthetic history in an
/// in-process mock broker: incidents of ten signed events each (opened, three
/// alerts, retrieval, triage, three resolutions, resolved) spread over 90
/// days, the last few still open.
struct StartupBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "startup", abstract: "Daemon start-up time and RSS with a long incident log: whole log vs snapshot + tail.")
    @Option(help: "Events in the log before the first start.") var events = 1_000_000
    @Option(help: "Events appended between the first start and the restart.") var tail = 5_000
    @Option(help: "Incidents still open at the end of the history.") var open = 200
    @Option(help: "Partitions of the incident log (the mock broker keeps 5 MB per partition).") var partitions = 160
    @Option(help: "Daemons to start, comma-separated.") var daemons = "reasoner,approver,executor,alert-ingestor"
    @Option(help: "Directory of the daemon binaries (default: next to this one).") var binDir: String?
    @Option(help: "Handbook-relative files the daemons need.") var catalog = "examples/actions/catalog.yaml"
    @Option(help: "Approval policy.") var policy = "examples/actions/approval-policy.yaml"

    func run() async throws {
        let logger = cliLogger("bench")
        let cluster = try KafkaMockCluster(brokers: 1, logger: logger)
        let topics = TopicSet(prefix: "startup.")
        for t in topics.descriptors {
            try cluster.createTopic(t.name, partitions: t.name == topics.incidents ? partitions : t.partitions)
        }
        let keys = try KeySet.generate()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bench-startup-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for (producer, key) in keys.keys { try key.fileData().write(to: dir.appendingPathComponent("\(producer).key.json")) }
        try keys.keyring.fileData().write(to: dir.appendingPathComponent("trusted.json"))
        try "approvers:\n  - name: bench\n    token_sha256: \(String(repeating: "0", count: 64))\n    roles: [approver]\n"
            .write(to: dir.appendingPathComponent("approvers.yaml"), atomically: true, encoding: .utf8)

        let history = Date().addingTimeInterval(-90 * 86_400)
        let incidents = events / 10
        print("writing \(incidents * 10) signed events (\(incidents) incidents over 90 days, \(open) open) to \(partitions) partitions…")
        let t0 = ContinuousClock.now
        try await Self.write(incidents: 0..<incidents, open: open, from: history, to: Date(), topics: topics, keys: keys,
                             cluster: cluster, logger: logger)
        print(String(format: "  written in %.0f s", (ContinuousClock.now - t0).seconds))

        let bin = binDir.map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        var rows: [(String, Run, Run)] = []
        for name in daemons.split(separator: ",").map(String.init) {
            let state = dir.appendingPathComponent("state-\(name)").path
            let first = try await Self.start(name, bin: bin, dir: dir, state: state, cluster: cluster, topics: topics,
                                             catalog: catalog, policy: policy)
            // The log moves on between the two starts (a later batch of incidents, some still open).
            let base = incidents + rows.count * (tail / 10) + 1_000_000
            try await Self.write(incidents: base..<(base + tail / 10), open: 2, from: Date().addingTimeInterval(-600), to: Date(),
                                 topics: topics, keys: keys, cluster: cluster, logger: logger)
            let second = try await Self.start(name, bin: bin, dir: dir, state: state, cluster: cluster, topics: topics,
                                              catalog: catalog, policy: policy)
            rows.append((name, first, second))
        }
        print("\nstart-up to /readyz and peak RSS, \(incidents * 10) events in the log")
        print("daemon          whole log (writes snapshot)   snapshot + \(tail)-event tail   snapshot size")
        for (name, a, b) in rows {
            print(name.padding(toLength: 15, withPad: " ", startingAt: 0)
                  + String(format: " %7.2f s %7.1f MB            %7.2f s %7.1f MB          %6.1f MB",
                           a.seconds, a.peakMB, b.seconds, b.peakMB, b.snapshotMB))
        }
    }

    struct Run {
        var seconds: Double
        var peakMB: Double
        var snapshotMB: Double
    }

    /// Starts one daemon on the bench's broker, waits for `/readyz`, reads its peak RSS, kills it.
    static func start(_ name: String, bin: URL, dir: URL, state: String, cluster: KafkaMockCluster, topics: TopicSet,
                      catalog: String, policy: String) async throws -> Run {
        let port = try freeLoopbackPort()
        let portVariable = ["alert-ingestor": "INGESTOR_PORT", "reasoner": "REASONER_PORT", "approver": "APPROVER_PORT",
                            "executor": "EXECUTOR_PORT", "retriever": "RETRIEVER_PORT", "embedder": "EMBEDDER_PORT"][name]
        guard let portVariable else { throw ValidationError("no such daemon: \(name)") }
        let p = Process()
        p.executableURL = bin.appendingPathComponent(name)
        p.environment = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "LOG_LEVEL": "warning",
            "KAFKA_BROKERS": cluster.bootstrapServers, "AIOPS_TOPIC_PREFIX": topics.prefix, portVariable: String(port),
            "AIOPS_SIGNING_KEY_FILE": dir.appendingPathComponent("\(name).key.json").path,
            "AIOPS_TRUSTED_KEYS_FILE": dir.appendingPathComponent("trusted.json").path,
            "AIOPS_STATE_DIR": state, "ACTIONS_CATALOG": URL(fileURLWithPath: catalog).path,
            "APPROVAL_POLICY": URL(fileURLWithPath: policy).path,
            "APPROVERS_FILE": dir.appendingPathComponent("approvers.yaml").path,
        ]
        let started = ContinuousClock.now
        try p.run()
        defer { kill(p.processIdentifier, SIGKILL); p.waitUntilExit() }
        let client = try HTTPClient()
        while (try? await client.request("GET", "http://127.0.0.1:\(port)/readyz", timeout: .milliseconds(500)))?.status != 200 {
            guard p.isRunning else { throw ValidationError("\(name) exited with status \(p.terminationStatus) before it was ready") }
            guard ContinuousClock.now - started < .seconds(900) else { throw ValidationError("\(name) not ready in 900 s") }
            try await Task.sleep(for: .milliseconds(20))
        }
        let seconds = (ContinuousClock.now - started).seconds
        let (_, peak) = BenchLoad.rss(pid: p.processIdentifier)
        let size = (try? FileManager.default.attributesOfItem(atPath: "\(state)/\(name).snapshot")[.size] as? Int) ?? 0
        return Run(seconds: seconds, peakMB: peak, snapshotMB: Double(size) / 1_048_576)
    }

    /// Ten events per incident, signed by the producer that owns each, spread evenly between `from` and `to`;
    /// the last `open` incidents are never resolved.
    static func write(incidents range: Range<Int>, open: Int, from: Date, to: Date, topics: TopicSet, keys: KeySet,
                      cluster: KafkaMockCluster, logger: Logger) async throws {
        var configuration = KafkaProducerConfiguration(kafka: KafkaConfiguration(bootstrapServers: cluster.bootstrapServers,
                                                                                 clientID: "bench-startup"))
        configuration.deliveryTimeoutMs = 120_000
        let producer = try KafkaProducer(configuration: configuration, signer: BenchSigner(keys: keys), logger: logger)
        let span = to.timeIntervalSince(from)
        var batch: [KafkaOutgoingMessage] = []
        for i in range {
            let at = from.addingTimeInterval(span * Double(i - range.lowerBound) / Double(max(1, range.count)))
            for e in try Self.incident(i, at: at, resolved: i < range.upperBound - open) {
                batch.append(try IncidentEventCodec.encode(e, topics: topics))
            }
            if batch.count >= 20_000 {
                _ = try await producer.send(batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
        if !batch.isEmpty { _ = try await producer.send(batch) }
        await producer.close()
    }

    static func incident(_ i: Int, at: Date, resolved: Bool) throws -> [IncidentEvent] {
        let id = EventIDs.incident(source: "bench", parts: ["\(i)"])
        let trace = TraceContext.newRoot()
        let labels = ["alertname": "BenchAlert\(i % 50)", "service": "svc-\(i % 40)", "namespace": "ns-\(i % 7)"]
        func event(_ n: Int, _ producer: String, _ payload: IncidentEventPayload) -> IncidentEvent {
            IncidentEvent(eventID: EventIDs.event(causation: "\(id)-\(n)", producer: producer, step: payload.type), incidentID: id,
                          occurredAt: at.addingTimeInterval(Double(n) * 30), producer: producer, causationID: nil, trace: trace,
                          payload: payload)
        }
        let ingestor = EventOwnership.ingestor
        var out = [event(0, ingestor, .incidentOpened(IncidentOpened(
            source: .alertmanager, groupKey: "{}:{alertname=\"BenchAlert\(i % 50)\",n=\"\(i)\"}", title: "BenchAlert\(i % 50)",
            severity: "warning", service: labels["service"], receiver: "aiops", externalURL: nil, labels: labels,
            annotations: ["summary": "synthetic incident \(i)"])))]
        for a in 0..<3 {
            out.append(event(1 + a, ingestor, .alertAttached(AlertAttached(
                alertID: "\(id)-a\(a)", fingerprint: "f\(i)-\(a)", alertname: "BenchAlert\(i % 50)", startsAt: RFC3339.format(at),
                generatorURL: nil, labels: labels, annotations: [:]))))
        }
        out.append(event(4, "retriever", .retrievalCompleted(RetrievalCompleted(
            query: "BenchAlert\(i % 50)", found: false, reason: "nothing similar", model: "bench", postmortems: [], runbooks: []))))
        out.append(event(5, "reasoner", .triageProposed(TriageProposed(
            steps: [.init(text: "look at svc-\(i % 40)", citations: [])], likelyCause: nil, runbook: nil,
            unknowns: ["synthetic"], rejectedSteps: [], observations: []))))
        guard resolved else { return out }
        for a in 0..<3 {
            out.append(event(6 + a, ingestor, .alertResolved(AlertResolved(
                alertID: "\(id)-r\(a)", fingerprint: "f\(i)-\(a)", alertname: "BenchAlert\(i % 50)", startsAt: RFC3339.format(at),
                endsAt: RFC3339.format(at.addingTimeInterval(600))))))
        }
        out.append(event(9, ingestor, .incidentResolved(IncidentResolved(reason: "all alerts resolved"))))
        return out
    }
}

/// Signs each record with the key of the producer it names (the bench writes as every daemon).
struct BenchSigner: KafkaRecordSigner {
    let signers: [String: RecordSigner]
    init(keys: KeySet) { signers = keys.keys.mapValues { RecordSigner(key: $0) } }
    func sign(_ messages: [KafkaOutgoingMessage]) throws -> [KafkaOutgoingMessage] {
        try messages.map { m in
            let producer = (try? JSONSerialization.jsonObject(with: Data(m.value)) as? [String: Any])?["producer"] as? String ?? ""
            guard let s = signers[producer] else { throw ValidationError("no key for \(producer)") }
            return try s.sign([m])[0]
        }
    }
}
