import Actions
import Foundation
import IncidentLog
import Synchronization
import TestSupport
import Testing
import Triage

/// Two past incidents with the same symptom and different causes, each
/// declaring the measurement that is its fingerprint; a real Prometheus
/// scraping a fixture exporter; the values it serves decide the cause.
@Suite("triage decided by measured signals (real Prometheus)", .enabled(if: enabled && (TestPrometheus.isAvailable || ProcessInfo.processInfo.environment["CI"] != nil)), .serialized)
struct SignalTests {
    static func postmortem(id: String, title: String, cause: String, signal: String) -> (String, String) {
        ("postmortems/\(id).md", """
            ---
            id: postmortems/\(id)
            kind: postmortem
            title: "\(title)"
            services: [payments-api]
            alerts: [PaymentsAPIHighLatency]
            ---

            # \(title)

            ## Summary

            payments-api p99 latency above 2s; requests waited for database connections.

            ## Root cause

            \(cause)

            ## Signals

            - `\(signal)` above 10
            """)
    }

    @Test func theMeasuredValuesSelectTheCause() async throws {
        let metrics = Mutex("fixture_pool_pending_threads 48\nfixture_idle_in_transaction_sessions 3\n")
        let exporter = try await TestHTTPServer { _, _ in (200, Array(metrics.withLock { $0 }.utf8)) }
        let prometheus = try await TestPrometheus(targets: ["127.0.0.1:\(exporter.port)"])
        defer { prometheus.stop() }
        try await prometheus.waitForSeries("fixture_pool_pending_threads")

        let pool = Self.postmortem(id: "fixture-pool-sizing", title: "Connection pool too small for the traffic",
                                   cause: "The pool was sized for half the traffic; threads queued for a connection.",
                                   signal: "max(fixture_pool_pending_threads)")
        let leak = Self.postmortem(id: "fixture-connection-leak", title: "Connections leaked by a worker",
                                   cause: "A worker held transactions open; the pool ran out of idle connections.",
                                   signal: "max(fixture_idle_in_transaction_sessions)")
        let f = try await ReasonerFixture(name: "signals", extra: [pool, leak])
        let yaml = try String(contentsOf: repo.appendingPathComponent("examples/actions/catalog.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "prometheus_url: http://127.0.0.1:9090", with: "prometheus_url: \(prometheus.url)")
        let catalog = try ActionCatalog.load(yaml: yaml)
        let executor = ActionExecutor(catalog: catalog)

        /// One incident: diagnostics that query Prometheus run for real, the others print nothing telling.
        func triage() async throws -> TriageProposed {
            let reasoner = ReasonerHandler(planner: BuiltinPlanner(catalog: catalog), catalog: catalog, topics: TopicSet(),
                                           logger: TestKafka.logger)
            let opened = ReasonerFixture.opened()
            _ = try await reasoner.react(to: opened)
            let retrieval = try #require(try await f.retriever.retrieve(for: opened))
            var queue = try await reasoner.react(to: retrieval)
            for _ in 0..<20 {
                guard !queue.isEmpty else { break }
                let e = queue.removeFirst()
                if case .triageProposed(let t) = e.payload { return t }
                guard case .actionProposed(let p) = e.payload, (try? catalog.action(p.action).risk) == .readOnly else { continue }
                _ = try await reasoner.react(to: e)
                let output = p.action.hasPrefix("prometheus.")
                    ? try await executor.run(try catalog.prepare(p.action, parameters: p.parameters)).output
                    : "ok"
                queue += try await reasoner.react(to: ReasonerFixture.executed(e, output: output))
            }
            throw TestEnvironmentError("no triage")
        }

        let first = try await triage()
        let hypotheses = try #require(first.hypotheses)
        #expect(hypotheses.first?.cause == "postmortems/fixture-pool-sizing" && hypotheses.first?.status == .supported,
                "\(hypotheses.map { "\($0.cause) \($0.status) \($0.evidenceFor) \($0.evidenceAgainst)" })")
        #expect(hypotheses.first { $0.cause == "postmortems/fixture-connection-leak" }?.status == .refuted)
        #expect(hypotheses.first?.evidenceFor.contains { $0.contains("max(fixture_pool_pending_threads) = 48 (above 10)") } == true)

        // The other way round: the same alert, the same words, other values.
        metrics.withLock { $0 = "fixture_pool_pending_threads 0\nfixture_idle_in_transaction_sessions 120\n" }
        try await prometheus.waitUntil("fixture_idle_in_transaction_sessions", answerContains: "\"120\"")
        let second = try await triage()
        #expect(second.hypotheses?.first?.cause == "postmortems/fixture-connection-leak" && second.hypotheses?.first?.status == .supported,
                "\(second.hypotheses?.map { "\($0.cause) \($0.status) \($0.evidenceFor) \($0.evidenceAgainst)" } ?? [])")
    }
}
