import Foundation

/// An alert's `generatorURL`: Prometheus links the alerting rule's graph, with the rule's expression in `g0.expr`,
/// form-encoded (`url.QueryEscape`: a space is `+`, a plus `%2B`).
public enum GeneratorURL {
    /// The PromQL expression in `g0.expr`, if the link carries one (links over 16 KiB are not read).
    public static func expression(_ url: String) -> String? {
        guard url.count <= 16_384, let query = URLComponents(string: url)?.percentEncodedQuery else { return nil }
        for pair in query.split(separator: "&") where pair.hasPrefix("g0.expr=") {
            let value = pair.dropFirst("g0.expr=".count).replacingOccurrences(of: "+", with: " ")
            guard let expr = value.removingPercentEncoding, !expr.isEmpty else { return nil }
            return expr
        }
        return nil
    }
}
