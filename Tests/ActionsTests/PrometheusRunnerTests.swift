import Actions
import Foundation
import TestSupport
import Testing

/// The `prometheus` runner against a real Prometheus: instant and range
/// queries recorded as structured observations, refusals, and parameters that
/// cannot leave their place in the PromQL.
@Suite("Actions: the prometheus runner", .serialized)
struct PrometheusRunnerTests {
    static func catalog(_ url: String) throws -> ActionCatalog {
        try ActionCatalog.load(yaml: """
            prometheus_url: \(url)
            actions:
              - id: prometheus.alert-series
                description: the alerting series
                risk: read_only
                runner: prometheus
                query: "{expr}"
                range_minutes: 5
                step_seconds: 1
                parameters:
                  expr: {type: string, pattern: "[A-Za-z0-9_:.,+*/%^<>=!~\\"'(){}\\\\[\\\\]| @-]+", max_length: 2000}
                timeout_seconds: 10
                output_limit_bytes: 8192
              - id: prometheus.up
                description: up per instance
                risk: read_only
                runner: prometheus
                query: 'up{job="{job}"}'
                parameters:
                  job: {type: string, pattern: "[A-Za-z0-9_.:-]+", max_length: 200}
                timeout_seconds: 10
                output_limit_bytes: 8192
            """)
    }

    struct Observation: Decodable {
        struct Series: Decodable { var labels: [String: String]; var last: Double; var min: Double; var max: Double; var samples: Int }
        var query: String
        var result_type: String
        var series: [Series]
        var series_total: Int
        var summary: String
    }

    @Test(.enabled(if: TestPrometheus.isAvailable || ProcessInfo.processInfo.environment["CI"] != nil))
    func instantAndRangeQueriesAreObservations() async throws {
        let prometheus = try await TestPrometheus()
        defer { prometheus.stop() }
        try await prometheus.waitForSeries("up")
        let catalog = try Self.catalog(prometheus.url)
        let executor = ActionExecutor(catalog: catalog)

        let up = try await executor.run(try catalog.prepare("prometheus.up", parameters: ["job": "prometheus"]))
        #expect(up.exitStatus == 0, "\(up.output)")
        let o = try JSONDecoder().decode(Observation.self, from: Data(up.output.utf8))
        #expect(o.query == #"up{job="prometheus"}"#)
        #expect(o.result_type == "vector")
        #expect(o.series.count == 1 && o.series[0].labels["job"] == "prometheus" && o.series[0].last == 1)
        #expect(o.summary.hasPrefix("1 series; highest {__name__=\"up\""), "\(o.summary)")

        try await Task.sleep(for: .seconds(2))
        let range = try await executor.run(try catalog.prepare("prometheus.alert-series",
                                                               parameters: ["expr": "rate(prometheus_http_requests_total[1m]) >= 0"]))
        #expect(range.exitStatus == 0, "\(range.output)")
        let r = try JSONDecoder().decode(Observation.self, from: Data(range.output.utf8))
        #expect(r.result_type == "matrix")
        #expect(r.series_total >= 1 && r.series.allSatisfy { $0.samples >= 1 && $0.min <= $0.max })
        #expect(r.summary.contains("over 5 min"), "\(r.summary)")

        let empty = try await executor.run(try catalog.prepare("prometheus.up", parameters: ["job": "nothing-scrapes-this"]))
        #expect(empty.exitStatus == 0 && empty.output.contains("no series"), "\(empty.output)")

        let refused = try await executor.run(try catalog.prepare("prometheus.alert-series", parameters: ["expr": "rate(up[5m]"]))
        #expect(refused.exitStatus == 1 && refused.output.contains("prometheus refused the query"), "\(refused.output)")
    }

    @Test func parametersCannotLeaveTheirPlaceInTheQuery() throws {
        let catalog = try Self.catalog("http://127.0.0.1:9")
        #expect(throws: ActionError.self) { try catalog.prepare("prometheus.up", parameters: ["job": #"x"} or vector(1) #"#]) }
        #expect(throws: ActionError.self) { try catalog.prepare("prometheus.up", parameters: ["job": "a\nb"]) }
        let p = try catalog.prepare("prometheus.up", parameters: ["job": "node"])
        #expect(p.query == #"up{job="node"}"# && p.url?.absoluteString == "http://127.0.0.1:9")
    }

    @Test func theCatalogRefusesAQueryWithoutAPrometheusOrThatCouldChangeAnything() {
        let action = """
              - id: q
                description: q
                risk: RISK
                runner: prometheus
                query: up
                parameters: {}
                timeout_seconds: 5
                output_limit_bytes: 100
            """
        #expect(throws: ActionError.self) { try ActionCatalog.load(yaml: "actions:\n" + action.replacingOccurrences(of: "RISK", with: "read_only")) }
        #expect(throws: ActionError.self) {
            try ActionCatalog.load(yaml: "prometheus_url: http://p:9090\nactions:\n" + action.replacingOccurrences(of: "RISK", with: "destructive"))
        }
        #expect(throws: ActionError.self) { try ActionCatalog.load(yaml: "prometheus_url: file:///etc/passwd\nactions: []") }
    }
}
