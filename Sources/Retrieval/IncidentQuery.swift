import Corpus
import Foundation
import IncidentLog

/// Builds the retrieval query from what a real alert carries. Labels,
/// annotations and the expression are untrusted: they become query text,
/// filter values and match terms, nothing else.
///
/// - the alert name, also split into words (`PostgreSQL_ReplicationLagTooLarge` →
///   `PostgreSQL Replication Lag Too Large`);
/// - the summary, description and message annotations;
/// - label values that name a component (`job`, `container`, `type`, `groupname`,
///   `device`, `reason`…), while labels that only identify an instance or a place
///   (`instance`, `pod`, `endpoint`, `prometheus`, `fqdn`, `region`…) are left out, and so
///   are values naming an exporter that reports on other things (`kube-state-metrics`);
/// - the runbook the alert links to (`runbook_url`, `runbook`…; `RunbookLink`);
/// - the metric names of the rule's expression, from `generatorURL` (an in-house
///   alert name matches no document, but `pg_replication_lag` does), with the
///   values of its equality matchers.
public enum IncidentQuery {
    /// Label keys whose values name what is broken.
    static let componentLabels = ["service", "job", "app", "container", "component", "type", "groupname", "name",
                                  "integration", "backend", "queue", "topic", "consumergroup", "database", "relname",
                                  "device", "reason", "persistentvolumeclaim", "deployment", "statefulset", "daemonset",
                                  "cronjob", "controller", "route"]
    /// Label keys that identify an instance, a replica or a place, not a kind of problem.
    static let noiseLabels: Set<String> = ["instance", "pod", "pod_name", "endpoint", "prometheus", "prometheus_replica",
                                           "fqdn", "node", "nodename", "host", "hostname", "monitor", "region", "zone",
                                           "env", "environment", "stage", "provider", "cluster", "uid", "id", "le",
                                           "severity", "shard", "tier", "namespace", "receiver", "alertstate", "replica",
                                           "quantile", "priority", "team", "owner"]
    /// Exporters that report on other things under their own name: kube-state-metrics exports every pod's,
    /// deployment's and job's state with its own `job`, `service` and (for most series) `container`, node-exporter every
    /// host's. A label value or matcher naming one says where the series came from, not what is broken, and as query
    /// text and component it pulls toward the exporter's own runbooks (a kube-state-metrics folder of
    /// `KubeStateMetricsListErrors` pages) every alert on a pod, deployment or job. An exporter named after what it
    /// watches (`postgres-exporter`, `redis_exporter`) keeps its words, and so does a prober (`blackbox`): its alerts are
    /// about the probes, and a handbook's probe runbook is usually the right page.
    static let reportingExporters = ["kube-state-metrics", "node-exporter"]

    static func namesAReportingExporter(_ value: String) -> Bool {
        let v = value.lowercased()
        return reportingExporters.contains { v.contains($0) }
    }

    /// PromQL words that are not metric names.
    static let promqlWords: Set<String> = [
        "sum", "rate", "irate", "increase", "avg", "max", "min", "count", "by", "without", "on", "ignoring", "group_left",
        "group_right", "histogram_quantile", "deriv", "predict_linear", "absent", "absent_over_time", "time", "vector",
        "bool", "and", "or", "unless", "offset", "avg_over_time", "max_over_time", "min_over_time", "sum_over_time",
        "count_over_time", "quantile_over_time", "stddev_over_time", "last_over_time", "label_replace", "label_join",
        "topk", "bottomk", "sort", "sort_desc", "clamp_min", "clamp_max", "clamp", "abs", "round", "scalar", "delta",
        "idelta", "changes", "resets", "count_values", "stddev", "stdvar", "group", "quantile", "timestamp",
        "day_of_week", "hour", "minute", "month", "year",
    ]

    public static func from(labels: [String: String], annotations: [String: String], title: String?,
                            service: String?, generatorURL: String? = nil) -> SearchQuery {
        var parts: [String] = []
        if let name = labels["alertname"] { parts.append(splitName(name)) }
        for key in ["summary", "description", "message"] { if let v = annotations[key], !v.isEmpty { parts.append(v) } }
        if let title, !parts.contains(where: { title.contains($0) || $0.contains(title) }) { parts.append(title) }
        var components: [String] = []
        for key in componentLabels where !noiseLabels.contains(key) {
            guard let v = labels[key], !v.isEmpty, v.count <= 120, !namesAReportingExporter(v) else { continue }
            // A chart names the Service of what it deploys `<release>-<job>` (`kube-prometheus-stack-kubelet`): the
            // release's words (`prometheus`, `stack`) are not the component, the job is, and it has a label of its own.
            if key == "service", let job = labels["job"], !job.isEmpty, v != job, v.hasSuffix("-" + job) { continue }
            components.append(v)
        }
        let expression = generatorURL.flatMap(GeneratorURL.expression)
        let metrics = expression.map(Self.metricNames) ?? []
        let matcherValues = expression.map(Self.matcherValues) ?? []
        parts += components.filter { c in !parts.contains { $0.contains(c) } }
        // The raw name twice (splitName keeps it before its words): each metric name once lost a held-out in-house
        // runbook case and per-alert MRR 0.96 -> 0.95 (docs/retrieval.md), e5 reading the repeated name as emphasis.
        parts += metrics.map { "\($0) \(splitName($0))" }
        parts += matcherValues.filter { v in !parts.contains { $0.contains(v) } }
        let text = String(parts.joined(separator: ". ").prefix(3_000))
        var services = [service, labels["service"], labels["app"], labels["job"]].compactMap { $0 }
        services = Array(Set(services)).sorted()
        var words = Set<String>()
        for c in components + matcherValues { words.formUnion(Self.words(c)) }
        for m in metrics { if let first = Self.words(m).first { words.insert(first) } }
        let componentWords = words.subtracting(genericWords).sorted()
        return SearchQuery(text: text, alertName: labels["alertname"], services: services,
                           components: componentWords, links: RunbookLink.links(in: annotations),
                           severity: labels["severity"].map { String($0.prefix(40)) },
                           subjects: subjects(of: labels["alertname"] ?? "", metrics: metrics, components: componentWords))
    }

    /// What the alert's name says it is about, where it spells out the namespace of one of its metric names
    /// (`rabbitmq` of `rabbitmq_channel_messages_unroutable_dropped_total` in `RabbitmqUnroutableMessages`, letter for
    /// letter: `coredns` in `CoreDNSPanicCount`, which the name's own words split): those namespaces, and the component
    /// words of its labels the name spells out too (`blackbox` beside `probe` in `BlackboxProbeFailures`: an exporter's
    /// namespace need not be its product's name); four letters or more, not generic, at most four. None unless a metric
    /// namespace is spelled out: a label value alone is as often a team's own service or consumer group
    /// (`OrdersProcessingBehind` on `consumergroup="orders"`), which the right runbook (Kafka consumer lag) never
    /// mentions. An in-house name (`MetricsBlocksStuckLocally` on `cortex_ingester_…`) spells out none.
    static func subjects(of alertName: String, metrics: [String], components: [String]) -> [String] {
        // The name read as names are compared (`DocumentName.key`); a subject is such a key itself.
        let letters = DocumentName.key(alertName)
        func spelled(_ word: String) -> Bool {
            word.count >= 4 && DocumentName.key(word) == word && !genericWords.contains(word) && letters.contains(word)
        }
        var out: [String] = []
        for metric in metrics {
            let namespace = String(metric.lowercased().prefix { $0 != "_" && $0 != ":" })
            if spelled(namespace), !out.contains(namespace) { out.append(namespace) }
        }
        guard !out.isEmpty else { return [] }
        out += components.filter { spelled($0) && !out.contains($0) }
        return Array(out.prefix(4))
    }

    /// Words too generic to say which component a document is about.
    static let genericWords: Set<String> = ["up", "job", "the", "api", "app", "prod", "production", "default", "main",
                                            "node", "instance", "total", "count", "bytes", "seconds", "service"]

    /// Metric (and recording rule) names of an expression, in order of appearance.
    static func metricNames(_ expr: String) -> [String] {
        var out: [String] = []
        var word = ""
        var inString = false
        var inBraces = 0
        func flush() {
            if !word.isEmpty, !promqlWords.contains(word), word.contains("_") || word.contains(":"),
               word.first.map({ !$0.isNumber }) == true, !out.contains(word), out.count < 8 {
                out.append(word)
            }
            word = ""
        }
        for ch in expr {
            if ch == "\"" { inString.toggle(); flush(); continue }
            if inString { continue }
            if ch == "{" { flush(); inBraces += 1; continue }
            if ch == "}" { inBraces = max(0, inBraces - 1); continue }
            if inBraces > 0 { continue }
            if ch.isLetter || ch.isNumber || ch == "_" || ch == ":" { word.append(ch) } else { flush() }
        }
        flush()
        return out
    }

    /// Values of `label="value"` matchers that are not instance or place labels.
    static func matcherValues(_ expr: String) -> [String] {
        guard let re = try? NSRegularExpression(pattern: #"([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"([a-zA-Z][a-zA-Z0-9_.-]{1,60})""#) else {
            return []
        }
        var out: [String] = []
        for m in re.matches(in: expr, range: NSRange(expr.startIndex..., in: expr)) {
            guard let k = Range(m.range(at: 1), in: expr), let v = Range(m.range(at: 2), in: expr) else { continue }
            let key = String(expr[k]), value = String(expr[v])
            if !noiseLabels.contains(key), key != "__name__", !namesAReportingExporter(value), !out.contains(value), out.count < 8 {
                out.append(value)
            }
        }
        return out
    }

    /// Lowercase words of an identifier or text: `gitaly_grpc:rate1m` → gitaly, grpc, rate1m.
    static func words(_ s: String) -> [String] {
        s.lowercased().split { !($0.isLetter || $0.isNumber) }.map(String.init).filter { $0.count > 2 }
    }

    /// `PaymentsAPIHighLatency` → `PaymentsAPIHighLatency Payments API High Latency`;
    /// `pg_replication_lag` → `pg_replication_lag pg replication lag` (helps both retrievers).
    public static func splitName(_ s: String) -> String {
        let split = IdentifierWords.spaced(s)
        return split == s ? s : "\(s) \(split)"
    }
}
