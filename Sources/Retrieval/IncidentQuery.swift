import Corpus
import Foundation
import IncidentLog
import Logging
import Postgres

/// Builds the retrieval query from an incident's alert data. Alert labels and
/// annotations are untrusted: they become query text and filter values, nothing else.
public enum IncidentQuery {
    public static func from(opened: IncidentOpened) -> SearchQuery {
        from(labels: opened.labels, annotations: opened.annotations, title: opened.title, service: opened.service)
    }

    public static func from(labels: [String: String], annotations: [String: String], title: String?,
                            service: String?) -> SearchQuery {
        var parts: [String] = []
        if let name = labels["alertname"] { parts.append(splitCamel(name)) }
        for key in ["summary", "description", "message"] { if let v = annotations[key] { parts.append(v) } }
        if let title, !parts.contains(where: { title.contains($0) }) { parts.append(title) }
        for key in ["service", "namespace", "job", "app", "container", "topic", "consumergroup"] {
            if let v = labels[key] { parts.append(v) }
        }
        let text = String(parts.joined(separator: ". ").prefix(2_000))
        var services = [service, labels["service"], labels["app"], labels["job"]].compactMap { $0 }
        services = Array(Set(services)).sorted()
        return SearchQuery(text: text, alertName: labels["alertname"], services: services)
    }

    /// `PaymentsAPIHighLatency` → `Payments API High Latency` (helps both retrievers).
    static func splitCamel(_ s: String) -> String {
        var out = ""
        let chars = Array(s)
        for (i, c) in chars.enumerated() {
            if i > 0, c.isUppercase, chars[i - 1].isLowercase || (i + 1 < chars.count && chars[i + 1].isLowercase && chars[i - 1].isUppercase) {
                out.append(" ")
            }
            out.append(c)
        }
        return "\(s) \(out)"
    }
}
