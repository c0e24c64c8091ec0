import Foundation
import HTTPClient

/// Runs a `prometheus` action: an instant or range query against the
/// catalog's Prometheus (read-only HTTP API), and records the answer as a
/// structured observation — JSON with each series' labels and its last, min
/// and max values (at most `maxSeries`, highest last value first) and a
/// one-line summary — so that people, planners and hypothesis checks read
/// figures, not a raw dump.
public enum PrometheusRunner {
    static let maxSeries = 20

    struct Observation: Encodable {
        struct Series: Encodable {
            var labels: [String: String]
            var last: Double
            var min: Double
            var max: Double
            var samples: Int
        }
        var query: String
        var resultType: String
        var rangeMinutes: Int?
        var series: [Series]
        var seriesTotal: Int
        var summary: String

        enum CodingKeys: String, CodingKey {
            case query, series, summary
            case resultType = "result_type", rangeMinutes = "range_minutes", seriesTotal = "series_total"
        }
    }

    static func run(_ action: PreparedAction, now: Date = Date()) async -> ActionResult {
        let d = action.definition
        guard let base = action.url, let query = action.query else {
            return ActionResult(exitStatus: -1, durationMs: 0, output: "no prometheus_url or query", truncated: false, timedOut: false)
        }
        var url = base.appendingPathComponent(d.rangeMinutes == nil ? "api/v1/query" : "api/v1/query_range")
        var items = [URLQueryItem(name: "query", value: query)]
        if let minutes = d.rangeMinutes {
            let end = now.timeIntervalSince1970
            items += [URLQueryItem(name: "start", value: String(format: "%.3f", end - Double(minutes * 60))),
                      URLQueryItem(name: "end", value: String(format: "%.3f", end)),
                      URLQueryItem(name: "step", value: String(d.stepSeconds ?? 30))]
        } else {
            items.append(URLQueryItem(name: "time", value: String(format: "%.3f", now.timeIntervalSince1970)))
        }
        items.append(URLQueryItem(name: "timeout", value: "\(max(1, Int(d.timeoutSeconds)))s"))
        var components = URLComponents(url: url, resolvingAgainstBaseURL: false)!
        components.queryItems = items
        // '+' in PromQL must not read as a space.
        components.percentEncodedQuery = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        url = components.url!
        let response: HTTPClientResponse
        do {
            response = try await HTTPClient().request("GET", url.absoluteString,
                                                      timeout: .milliseconds(Int(d.timeoutSeconds * 1000)),
                                                      maxResponseBytes: 32 << 20)
        } catch let e as HTTPClientError {
            return ActionResult(exitStatus: -1, durationMs: 0, output: e.description, truncated: false, timedOut: e.code == .timedOut)
        } catch {
            return ActionResult(exitStatus: -1, durationMs: 0, output: "\(error)", truncated: false, timedOut: false)
        }
        guard let root = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] else {
            return ActionResult(exitStatus: Int32(response.status == 200 ? 1 : response.status), durationMs: 0,
                                output: "HTTP \(response.status): not a Prometheus API answer", truncated: false, timedOut: false)
        }
        guard root["status"] as? String == "success", let data = root["data"] as? [String: Any] else {
            let why = [root["errorType"], root["error"]].compactMap { $0 as? String }.joined(separator: ": ")
            return ActionResult(exitStatus: 1, durationMs: 0, output: "HTTP \(response.status): prometheus refused the query: \(why)",
                                truncated: false, timedOut: false)
        }
        let observation = observe(query: query, data: data, rangeMinutes: d.rangeMinutes)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let text = (try? encoder.encode(observation)).map { String(decoding: $0, as: UTF8.self) } ?? observation.summary
        return ActionResult(exitStatus: 0, durationMs: 0, output: text, truncated: false, timedOut: false)
    }

    /// The series of a `vector`, `matrix` or `scalar` answer, summarised.
    static func observe(query: String, data: [String: Any], rangeMinutes: Int?) -> Observation {
        let type = data["resultType"] as? String ?? "unknown"
        func number(_ pair: Any) -> Double? {
            guard let p = pair as? [Any], p.count == 2, let s = p[1] as? String else { return nil }
            return Double(s)
        }
        var series: [Observation.Series] = []
        if type == "scalar", let v = data["result"].flatMap(number) {
            series = [.init(labels: [:], last: v, min: v, max: v, samples: 1)]
        } else {
            for item in data["result"] as? [[String: Any]] ?? [] {
                let labels = item["metric"] as? [String: String] ?? [:]
                let values = ((item["values"] as? [Any]) ?? (item["value"].map { [$0] } ?? [])).compactMap(number)
                    .filter { !$0.isNaN }
                guard let last = values.last else { continue }
                series.append(.init(labels: labels, last: last, min: values.min()!, max: values.max()!, samples: values.count))
            }
        }
        let total = series.count
        series.sort { $0.last > $1.last }
        series = Array(series.prefix(maxSeries))
        let summary: String
        if let top = series.first {
            let name = top.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }.joined(separator: ",")
            let range = rangeMinutes.map { ", over \($0) min: min \(format(top.min)), max \(format(top.max))" } ?? ""
            summary = "\(total) series; highest {\(name)} = \(format(top.last))\(range)"
        } else {
            summary = "no series: the query returned nothing"
        }
        return Observation(query: query, resultType: type, rangeMinutes: rangeMinutes, series: series, seriesTotal: total,
                           summary: summary)
    }

    /// A measured value as people write it: no trailing `.0`, at most four significant digits otherwise.
    public static func format(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(format: "%.4g", v)
    }
}
