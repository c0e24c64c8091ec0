import ArgumentParser
import DaemonRuntime
import Foundation
import OperatorCLI
import HTTPClient
import IncidentLog
import Ingest
import Kafka
import Synchronization

/// `aiops bench ingest`: alerts/s from HTTP request to Kafka acknowledgement
/// through a real alert-ingestor process, next to a plain producer writing
/// the same records to the same broker in the same run.
struct IngestBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ingest",
                                                    abstract: "Webhook-to-Kafka throughput, latency and RSS of alert-ingestor.")
    @Option(help: "Alerts in the throughput phase (100 per webhook).") var alerts = 100_000
    @Option(help: "Concurrent HTTP connections in the throughput phase.") var connections = 4
    @Option(help: "Seconds of the fixed-rate latency phase.") var latencySeconds = 10
    @Option(help: "Alerts per second in the latency phase.") var rate = 1_000
    @Option(help: "alert-ingestor binary (default: next to this aiops).") var ingestorBinary: String?
    @Option(help: "Another build's alert-ingestor, run with the same load in alternating rounds; prints the ratio.")
    var baselineBinary: String?
    @Option(help: "Rounds of candidate and baseline with --baseline-binary or --compare-tracing.") var rounds = 2
    @Flag(help: "Run the ingestor with OTLP trace export on (to a sink in this process) and off, in alternating rounds.")
    var compareTracing = false

    func run() async throws {
        let logger = cliLogger("bench")
        let cluster = try KafkaMockCluster(brokers: 1, logger: logger)
        let baselineTopics = TopicSet(prefix: "bench-raw.")
        for t in baselineTopics.descriptors { try cluster.createTopic(t.name, partitions: t.partitions) }
        let batches = max(1, alerts / 100)
        let webhooks = BenchLoad.webhooks(batches: batches, runID: UUID().uuidString.prefix(8).lowercased())
        BenchLoad.stageCosts(webhooks: Array(webhooks.prefix(200)))
        print("aiops bench ingest: \(batches * 100) alerts in \(batches) webhooks of 100, \(connections) connections, broker \(cluster.bootstrapServers)")

        // 1. Baseline: the records the ingestor would write, from a plain producer.
        let records = try BenchLoad.records(for: webhooks, topics: baselineTopics)
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(
            kafka: KafkaConfiguration(bootstrapServers: cluster.bootstrapServers, clientID: "bench-raw")), logger: logger)
        try await producer.send(records.prefix(100).map { $0 }) // connect + metadata outside the timing
        let rawStart = ContinuousClock.now
        try await producer.send(Array(records.dropFirst(100)))
        let rawSeconds = (ContinuousClock.now - rawStart).seconds
        await producer.close()
        let rawAlertsPerSecond = Double(batches * 100 - 1) / rawSeconds
        print(String(format: "raw producer        %9.0f alerts/s  (%d records, %.2f s)", rawAlertsPerSecond,
                     records.count - 100, rawSeconds))

        // 2. The real alert-ingestor process; with --baseline-binary, the same load through that build in
        //    alternating rounds of the same command (this machine is noisy: only the ratio means much).
        let candidate = ingestorBinary ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("alert-ingestor").path
        let bodies = try webhooks.map { Array(try JSONEncoder().encode($0)) }
        let latencyHooks = BenchLoad.webhooks(batches: max(1, rate * latencySeconds / 100),
                                              runID: "lat-" + UUID().uuidString.prefix(6).lowercased())
        let latencyBodies = try latencyHooks.map { Array(try JSONEncoder().encode($0)) }
        var runs: [(label: String, binary: String, env: [String: String])] = [("alert-ingestor", candidate, [:])]
        var sink: Task<Void, any Error>?
        defer { sink?.cancel() }
        let received = OTLPSink.Sink()
        if compareTracing {
            // "alert-ingestor" exports every span over OTLP/HTTP (protobuf) to a sink here; "baseline" exports nothing.
            let port = try freeLoopbackPort()
            let app = received.application(port: port)
            sink = Task { try await app.runService() }
            let otel = ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:\(port)", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"]
            runs = (0..<max(1, rounds)).flatMap { _ in [("alert-ingestor", candidate, otel), ("baseline", candidate, [:])] }
            print("tracing on: alert-ingestor (OTLP/HTTP to a sink on 127.0.0.1:\(port)); off: baseline")
        } else if let baselineBinary {
            runs = (0..<max(1, rounds)).flatMap { _ in [("alert-ingestor", candidate, [:]), ("baseline", baselineBinary, [:])] }
        }
        var results: [String: [IngestRun]] = [:]
        for (i, run) in runs.enumerated() {
            let topics = TopicSet(prefix: "bench-ingest-\(i).")
            for t in topics.descriptors { try cluster.createTopic(t.name, partitions: t.partitions) }
            let r = try await measure(binary: run.binary, cluster: cluster, topics: topics, bodies: bodies,
                                      latencyBodies: latencyBodies, extraEnvironment: run.env)
            results[run.label, default: []].append(r)
            print(String(format: "%@ %9.0f alerts/s  (%d webhooks, %.2f s, %d failed)  = %.0f%% of raw",
                         run.label.padding(toLength: 18, withPad: " ", startingAt: 0),
                         r.rate, bodies.count - 1, r.seconds, r.failures, 100 * r.rate / rawAlertsPerSecond))
            print(String(format: "  latency @ %d alerts/s  p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  max %.2f ms  (%d webhooks)",
                         rate, r.percentile(0.5), r.percentile(0.9), r.percentile(0.99), r.latencies.last ?? .nan,
                         r.latencies.count))
            print(String(format: "  RSS  %.1f MB now, %.1f MB peak", r.rss, r.peak))
        }
        let mine = results["alert-ingestor"] ?? []
        let best = mine.max { $0.rate < $1.rate } ?? mine[0]
        if let base = results["baseline"], !base.isEmpty {
            func median(_ xs: [Double]) -> Double { let s = xs.sorted(); return s[s.count / 2] }
            let ratio = median(mine.map(\.rate)) / median(base.map(\.rate))
            let p99 = median(mine.map { $0.percentile(0.99) }) / median(base.map { $0.percentile(0.99) })
            print(String(format: "against baseline%@ (median of %d rounds): throughput %.2fx, p99 latency %.2fx, peak RSS %.1f vs %.1f MB",
                         compareTracing ? " (tracing on vs off)" : "",
                         mine.count, ratio, p99, mine.map(\.peak).max() ?? 0, base.map(\.peak).max() ?? 0))
            print("target: throughput within 10% of baseline [\(ratio >= 0.9 ? "met" : "NOT met")]")
            if compareTracing {
                print("the sink received \(received.exports.load(ordering: .relaxed)) OTLP exports, \(received.bytes.load(ordering: .relaxed)) bytes")
            }
        }
        print(String(format: "targets: >= 20000 alerts/s [%@], >= 25%% of raw [%@], p99 < 50 ms [%@], RSS < 100 MB [%@]",
                     best.rate >= 20_000 ? "met" : "NOT met", best.rate >= 0.25 * rawAlertsPerSecond ? "met" : "NOT met",
                     best.percentile(0.99) < 50 ? "met" : "NOT met", best.peak < 100 ? "met" : "NOT met"))
    }

    struct IngestRun {
        var rate: Double
        var seconds: Double
        var failures: Int
        var latencies: [Double]
        var rss: Double
        var peak: Double
        func percentile(_ p: Double) -> Double {
            latencies.isEmpty ? .nan : latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))]
        }
    }

    /// One ingestor process: throughput with `connections` clients, then latency at `rate`, then its RSS.
    func measure(binary: String, cluster: KafkaMockCluster, topics: TopicSet, bodies: [[UInt8]],
                 latencyBodies: [[UInt8]], extraEnvironment: [String: String] = [:]) async throws -> IngestRun {
        let port = try freeLoopbackPort()
        let ingestor = Process()
        ingestor.executableURL = URL(fileURLWithPath: binary)
        var env = ProcessInfo.processInfo.environment
        env["KAFKA_BROKERS"] = cluster.bootstrapServers
        env["AIOPS_TOPIC_PREFIX"] = topics.prefix
        env["INGESTOR_PORT"] = String(port)
        env["LOG_LEVEL"] = "warning"
        // The ingestor signs what it writes, as in production: a throwaway key set for this run.
        let keyDir = FileManager.default.temporaryDirectory.appendingPathComponent("bench-keys-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: keyDir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: keyDir) }
        let keys = try KeySet.generate()
        try keys.key(EventOwnership.ingestor).fileData().write(to: keyDir.appendingPathComponent("ingestor.key.json"))
        try keys.keyring.fileData().write(to: keyDir.appendingPathComponent("trusted.json"))
        env["AIOPS_SIGNING_KEY_FILE"] = keyDir.appendingPathComponent("ingestor.key.json").path
        env["AIOPS_TRUSTED_KEYS_FILE"] = keyDir.appendingPathComponent("trusted.json").path
        // Tracing is on only where asked for.
        for k in env.keys where k.hasPrefix("OTEL_") { env[k] = nil }
        env.merge(extraEnvironment) { _, b in b }
        ingestor.environment = env
        try ingestor.run()
        defer { ingestor.terminate(); ingestor.waitUntilExit() }
        let base = "http://127.0.0.1:\(port)"
        try await BenchLoad.waitReady("\(base)/readyz")
        // Warm up one connection path.
        _ = try HTTPClient().performBlocking("POST", "\(base)/api/v1/alerts", headers: ["Content-Type": "application/json"],
                                             body: bodies[0])

        // Throughput: `connections` keep-alive clients posting back to back.
        let next = SharedCounter(1)
        let failures = SharedCounter(0)
        let bodyCount = bodies.count
        let start = ContinuousClock.now
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<connections {
                group.addTask {
                    await BenchLoad.onThread {
                        guard let client = try? HTTPClient() else { return }
                        while true {
                            let i = next.increment()
                            guard i < bodyCount else { return }
                            let r = try? client.performBlocking("POST", "\(base)/api/v1/alerts",
                                                                headers: ["Content-Type": "application/json"], body: bodies[i])
                            if r?.status != 200 { _ = failures.increment() }
                        }
                    }
                }
            }
        }
        let seconds = (ContinuousClock.now - start).seconds

        // Latency at a fixed rate, fresh groups.
        let interval = 100.0 / Double(rate)
        let latencies = await BenchLoad.onThread { () -> [Double] in
            guard let client = try? HTTPClient() else { return [] }
            var out: [Double] = []
            let t0 = Date()
            for (i, body) in latencyBodies.enumerated() {
                let due = t0.addingTimeInterval(Double(i) * interval)
                let wait = due.timeIntervalSinceNow
                if wait > 0 { Thread.sleep(forTimeInterval: wait) }
                let s = ContinuousClock.now
                let r = try? client.performBlocking("POST", "\(base)/api/v1/alerts",
                                                    headers: ["Content-Type": "application/json"], body: body)
                if r?.status == 200 { out.append((ContinuousClock.now - s).seconds * 1000) }
            }
            return out
        }.sorted()
        let (rss, peak) = BenchLoad.rss(pid: ingestor.processIdentifier)
        return IngestRun(rate: Double((bodies.count - 1) * 100) / seconds, seconds: seconds, failures: failures.value,
                         latencies: latencies, rss: rss, peak: peak)
    }
}

enum BenchLoad {
    /// Half the webhooks open a fresh group with 100 firing alerts, the other
    /// half resolve a group opened earlier, so incidents open and close as in life.
    static func webhooks(batches: Int, runID: some StringProtocol) -> [AlertmanagerWebhook] {
        let starts = RFC3339.format(Date().addingTimeInterval(-300))
        let ends = RFC3339.format(Date())
        var out: [AlertmanagerWebhook] = []
        out.reserveCapacity(batches)
        for b in 0..<batches {
            let group = b % 2 == 0 ? b : b - 1
            let resolving = b % 2 == 1
            let alerts = (0..<100).map { i in
                AlertmanagerWebhook.Alert(
                    status: resolving ? "resolved" : "firing",
                    labels: ["alertname": "BenchAlert\(group % 50)", "service": "svc-\(group % 20)", "severity": "warning",
                             "pod": "pod-\(runID)-\(group)-\(i)", "namespace": "bench"],
                    annotations: ["summary": "synthetic load", "description": "benchmark alert \(i) of group \(group)"],
                    startsAt: starts, endsAt: resolving ? ends : "0001-01-01T00:00:00Z",
                    generatorURL: "http://prometheus:9090/graph", fingerprint: "\(runID)-\(group)-\(i)")
            }
            out.append(AlertmanagerWebhook(groupKey: "{}:{bench=\"\(runID)-\(group)\"}",
                                           status: resolving ? "resolved" : "firing", receiver: "aiops",
                                           groupLabels: ["bench": "\(group)"], commonLabels: ["severity": "warning"],
                                           externalURL: "http://alertmanager:9093", alerts: alerts))
        }
        return out
    }

    /// CPU per webhook of each ingest stage, measured in process: where the time goes.
    static func stageCosts(webhooks: [AlertmanagerWebhook]) {
        let bodies = webhooks.map { try! JSONEncoder().encode($0) }
        var t = ContinuousClock.now
        var decoded: [AlertmanagerWebhook] = []
        for b in bodies { decoded.append(try! AlertmanagerWebhook.decode(b)) }
        let decode = (ContinuousClock.now - t).seconds / Double(bodies.count)
        t = ContinuousClock.now
        var state = IngestState()
        var plans: [IngestPlan] = []
        for w in decoded {
            let plan = IngestPlanner.plan(w, open: state.open[w.groupKey], recent: state.recent, receivedAt: Date(),
                                          trace: .newRoot())
            state.open[w.groupKey] = plan.newGroupState
            for id in plan.seenAlertIDs { state.recent.insert(id) }
            plans.append(plan)
        }
        let plan = (ContinuousClock.now - t).seconds / Double(bodies.count)
        t = ContinuousClock.now
        let topics = TopicSet()
        var n = 0
        for p in plans {
            for a in p.alerts { n += (try! a.message(topics: topics, trace: .newRoot())).value.count }
            for e in p.events { n += (try! IncidentEventCodec.encode(e, topics: topics)).value.count }
        }
        let encode = (ContinuousClock.now - t).seconds / Double(bodies.count)
        var batches: [[KafkaOutgoingMessage]] = []
        for p in plans {
            batches.append(p.alerts.map { try! $0.message(topics: topics, trace: .newRoot()) }
                + p.events.map { try! IncidentEventCodec.encode($0, topics: topics) })
        }
        let keys = try! KeySet.generate()
        let signer = RecordSigner(key: try! keys.key(EventOwnership.ingestor))
        t = ContinuousClock.now
        var signed: [[KafkaOutgoingMessage]] = []
        for b in batches { signed.append(try! signer.sign(b)) }
        let sign = (ContinuousClock.now - t).seconds / Double(bodies.count)
        // What each consumer pays for the same records: the batch signature (checked once per batch) and each
        // record's place in it, as a consumer's authenticator checks them before decoding.
        let verifier = RecordAuthenticator(keyring: keys.keyring, topics: topics).verifier
        let received = signed.map { batch in
            batch.enumerated().map { i, m in
                KafkaConsumerMessage(topic: m.topic, partition: 0, offset: Int64(i), key: m.key, value: m.value, headers: m.headers)
            }
        }
        t = ContinuousClock.now
        var verified = 0
        for batch in received { for m in batch where (try? verifier.verify(m)) != nil { verified += 1 } }
        let verify = (ContinuousClock.now - t).seconds / Double(bodies.count)
        let records = received.map(\.count).reduce(0, +)
        print(String(format: "stage cost per 100-alert webhook: decode %.2f ms, plan %.2f ms, encode %.2f ms, sign %.2f ms",
                     decode * 1000, plan * 1000, encode * 1000, sign * 1000))
        print(String(format: "a consumer's check of the same records: %.2f ms per webhook's records, %.1f µs per record (%d of %d verified)",
                     verify * 1000, verify * 1e6 * Double(bodies.count) / Double(max(records, 1)), verified, records))
    }

    /// Exactly the records alert-ingestor produces for these webhooks.
    static func records(for webhooks: [AlertmanagerWebhook], topics: TopicSet) throws -> [KafkaOutgoingMessage] {
        var state = IngestState()
        var out: [KafkaOutgoingMessage] = []
        let trace = TraceContext.newRoot()
        for w in webhooks {
            let plan = IngestPlanner.plan(w, open: state.open[w.groupKey], recent: state.recent, receivedAt: Date(),
                                          trace: trace)
            state.open[w.groupKey] = plan.newGroupState
            for id in plan.seenAlertIDs { state.recent.insert(id) }
            for a in plan.alerts { out.append(try a.message(topics: topics, trace: trace)) }
            for e in plan.events { out.append(try IncidentEventCodec.encode(e, topics: topics)) }
        }
        return out
    }

    static func onThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { c in
            let t = Thread { c.resume(returning: body()) }
            t.start()
        }
    }

    static func waitReady(_ url: String) async throws {
        let client = try HTTPClient()
        for _ in 0..<300 {
            if let r = try? await client.request("GET", url, timeout: .seconds(1)), r.status == 200 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ValidationError("\(url) not ready")
    }

    /// Current and peak resident set size in MB, from /proc.
    static func rss(pid: Int32) -> (Double, Double) {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return (.nan, .nan) }
        func kb(_ key: String) -> Double {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(key) }) else { return .nan }
            return Double(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? .nan
        }
        return (kb("VmRSS:") / 1024, kb("VmHWM:") / 1024)
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// An atomic counter that closures can share.
final class SharedCounter: Sendable {
    private let atomic: Atomic<Int>
    init(_ start: Int) { atomic = Atomic(start) }
    /// Returns the value before the increment.
    func increment() -> Int { atomic.add(1, ordering: .relaxed).oldValue }
    var value: Int { atomic.load(ordering: .relaxed) }
}
