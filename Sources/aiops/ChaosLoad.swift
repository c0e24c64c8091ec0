import Foundation
import HTTPClient
import IncidentLog
import Ingest
import OperatorCLI
import Synchronization

/// The load of a chaos run: alerts through the real webhook (retried, as
/// Alertmanager retries, until the ingestor answers), and a human approving
/// through the real API.
enum ChaosLoad {
    struct Planned: Sendable {
        var group: Int
        var webhook: AlertmanagerWebhook
        /// A group whose alerts are all resolved by this delivery.
        var resolves: Bool
    }

    final class Sent: Sendable {
        /// Alert ids of the firing alerts the ingestor answered 200 for.
        let accepted = Mutex<Set<String>>([])
    }

    /// Three alerts per group, each its own delivery; one group in five resolved afterwards.
    static func plan(alerts: Int, cases: [RetrievalCase], run: String, rng: inout SeededRandom) -> [Planned] {
        let startsAt = RFC3339.format(Date().addingTimeInterval(-120))
        var out: [Planned] = []
        var groups: [Int: [AlertmanagerWebhook.Alert]] = [:]
        for i in 0..<alerts {
            let g = i / 3
            let c = cases[Int.random(in: 0..<cases.count, using: &rng)]
            var labels = c.alert.labels
            labels["chaos_run"] = run
            labels["instance"] = "host-\(i % 7):9100"
            // What a scrape leaves on a Kubernetes service's alert: the planners fill diagnostics and mitigations
            // from these, so approvals and the executor get their share of the faults.
            if let service = labels["service"] {
                labels["namespace"] = labels["namespace"] ?? String(service.split(separator: "-").first ?? Substring(service))
                labels["job"] = labels["job"] ?? service
                labels["pod"] = labels["pod"] ?? "\(service)-7d9f8b6c5-\(i)"
            }
            let alert = AlertmanagerWebhook.Alert(status: "firing", labels: labels, annotations: c.alert.annotations ?? [:],
                                                  startsAt: startsAt, generatorURL: c.generatorURL ?? "",
                                                  fingerprint: "\(run)-\(i)")
            groups[g, default: []].append(alert)
            out.append(Planned(group: g, webhook: webhook(group: g, run: run, alerts: [alert]), resolves: false))
            if i % 3 == 2 && g % 5 == 4 {
                let resolved = groups[g, default: []].map { a -> AlertmanagerWebhook.Alert in
                    var a = a
                    a.status = "resolved"
                    a.endsAt = RFC3339.format(Date())
                    return a
                }
                out.append(Planned(group: g, webhook: webhook(group: g, run: run, alerts: resolved), resolves: true))
            }
        }
        return out
    }

    static func webhook(group: Int, run: String, alerts: [AlertmanagerWebhook.Alert]) -> AlertmanagerWebhook {
        AlertmanagerWebhook(groupKey: "{}:{chaos=\"\(run)-\(group)\"}", status: alerts.contains { $0.status == "firing" } ? "firing" : "resolved",
                            receiver: "aiops", groupLabels: ["chaos": "\(run)-\(group)"], commonLabels: [:],
                            externalURL: "http://alertmanager:9093", alerts: alerts)
    }

    /// Sends the plan evenly over `over`; each delivery is retried until a 200 or a 4xx.
    static func send(_ plan: [Planned], to url: String, over: Duration, sent: Sent) async throws {
        let client = try HTTPClient()
        let start = ContinuousClock.now
        let gap = over / max(1, plan.count)
        for (i, p) in plan.enumerated() {
            let due = start + gap * i
            if due > ContinuousClock.now { try await Task.sleep(until: due) }
            let body = Array(try JSONEncoder().encode(p.webhook))
            var attempt = 0
            while true {
                attempt += 1
                let r = try? await client.request("POST", "\(url)/api/v1/alerts", headers: ["Content-Type": "application/json"],
                                                  body: body, timeout: .seconds(15))
                if let r, r.status == 200 {
                    for a in p.webhook.alerts where a.status == "firing" {
                        let startsAt = RFC3339.parse(a.startsAt).map(RFC3339.format) ?? a.startsAt
                        let id = EventIDs.alert(groupKey: p.webhook.groupKey, fingerprint: a.fingerprint, status: a.status,
                                                startsAt: startsAt)
                        _ = sent.accepted.withLock { $0.insert(id) }
                    }
                    break
                }
                if let r, (400..<500).contains(r.status) { break }
                if attempt > 600 { break } // the ingestor never came back: the check reports the loss
                try await Task.sleep(for: .milliseconds(250))
            }
        }
    }

    /// Approves (three in four) or rejects what is pending, every second and a half.
    static func approve(url: String, token: String, until: ContinuousClock.Instant) async {
        struct Row: Decodable { var request_id: String }
        guard let client = try? HTTPClient() else { return }
        var n = 0
        while ContinuousClock.now < until, !Task.isCancelled {
            let auth = ["Authorization": "Bearer \(token)", "Content-Type": "application/json"]
            if let r = try? await client.request("GET", "\(url)/api/v1/approvals", headers: auth, timeout: .seconds(5)),
               r.status == 200, let rows = try? JSONDecoder().decode([Row].self, from: Data(r.body)) {
                for row in rows {
                    n += 1
                    let verb = n % 4 == 0 ? "reject" : "approve"
                    _ = try? await client.request("POST", "\(url)/api/v1/approvals/\(row.request_id)/\(verb)", headers: auth,
                                                  body: Array(#"{"reason":"chaos run: decided by the load generator"}"#.utf8),
                                                  timeout: .seconds(5))
                }
            }
            try? await Task.sleep(for: .milliseconds(1_500))
        }
    }
}
