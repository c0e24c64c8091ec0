import Foundation

/// Splits an Alertmanager group into incidents by label values, for teams whose
/// Alertmanager groups coarsely (kube-prometheus groups by `namespace`: one
/// notification can hold a dozen unrelated problems). Empty (the default):
/// one incident per Alertmanager group, as the team's routing declared it.
public struct Correlation: Sendable, Hashable {
    /// Label names whose values tell incidents apart, e.g. `["alertname"]`.
    public var labels: [String]

    public init(labels: [String] = []) {
        self.labels = labels.filter { !$0.isEmpty }
    }

    /// The webhook as one delivery per incident. A part's group key is the original group key followed by the
    /// split labels' values (`{}:{namespace="x"}|alertname="KubePodCrashLooping"`), so every delivery of the same
    /// group lands each alert in the same incident, and a retried delivery plans the same ids.
    /// With no labels, or when the group is already keyed by all of them, the webhook is returned as it is.
    public func split(_ webhook: AlertmanagerWebhook) -> [AlertmanagerWebhook] {
        let keys = labels.filter { webhook.groupLabels[$0] == nil }
        guard !keys.isEmpty, !webhook.alerts.isEmpty else { return [webhook] }
        var order: [[String]] = []
        var parts: [[String]: [AlertmanagerWebhook.Alert]] = [:]
        for alert in webhook.alerts {
            let values = keys.map { alert.labels[$0] ?? "" }
            if parts[values] == nil { order.append(values) }
            parts[values, default: []].append(alert)
        }
        return order.map { values in
            var part = webhook
            let alerts = parts[values] ?? []
            part.alerts = alerts
            part.groupKey = webhook.groupKey + "|" + zip(keys, values).map { "\($0)=\(Self.quoted($1))" }.joined(separator: ",")
            for (k, v) in zip(keys, values) where !v.isEmpty { part.groupLabels[k] = v }
            part.commonLabels = Self.common(alerts.map(\.labels))
            part.commonAnnotations = Self.common(alerts.map(\.annotations))
            part.status = alerts.contains { $0.status == "firing" } ? "firing" : "resolved"
            return part
        }
    }

    static func quoted(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// The pairs every map has, as Alertmanager computes commonLabels.
    static func common(_ maps: [[String: String]]) -> [String: String] {
        guard var out = maps.first else { return [:] }
        for m in maps.dropFirst() { out = out.filter { m[$0.key] == $0.value } }
        return out
    }
}
