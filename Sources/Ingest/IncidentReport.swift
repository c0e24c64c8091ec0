import BoundedYAML
import Foundation
import IncidentLog
import Yams

/// A Kubernetes-style incident declared by a person or a tool:
/// `apiVersion: aiops.dev/v1alpha1`, `kind: IncidentReport`. Its CRD is
/// `deploy/crds/incidentreports.aiops.dev.yaml`.
public struct IncidentReport: Sendable, Hashable, Codable {
    public static let apiVersion = "aiops.dev/v1alpha1"

    public var apiVersion: String
    public var kind: String
    public var metadata: Metadata
    public var spec: Spec

    public struct Metadata: Sendable, Hashable, Codable {
        public var name: String
        public var namespace: String?
        public var labels: [String: String]?
    }

    public struct Spec: Sendable, Hashable, Codable {
        public var summary: String
        public var severity: String
        public var service: String?
        public var description: String?
        public var labels: [String: String]?
        public var annotations: [String: String]?
        /// Set to true to resolve the incident this report opened.
        public var resolved: Bool?
    }

    public var namespace: String { metadata.namespace ?? "default" }
    public var groupKey: String { "incidentreport:\(namespace)/\(metadata.name)" }

    public static let severities = ["critical", "high", "warning", "info"]

    /// Parses and validates YAML; errors name the field (or the line of a YAML syntax error).
    public static func parse(_ text: String) throws(InputError) -> IncidentReport {
        let report: IncidentReport
        do {
            report = try BoundedYAML.decode(IncidentReport.self, from: text, limits: .untrusted)
        } catch let error as YAMLLimitError {
            throw InputError(field: "$", problem: "over the \(error.limit) limit: \(error)")
        } catch let error as YamlError {
            throw InputError(field: "$", problem: yamlProblem(error))
        } catch DecodingError.dataCorrupted(let ctx) where ctx.underlyingError is YamlError {
            throw InputError(field: "$", problem: yamlProblem(ctx.underlyingError as! YamlError))
        } catch let error as DecodingError {
            throw InputError(decoding: error)
        } catch {
            throw InputError(field: "$", problem: "\(error)")
        }
        try report.validate()
        return report
    }

    public func validate() throws(InputError) {
        guard apiVersion == Self.apiVersion else {
            throw InputError(field: "apiVersion", problem: "must be \(Self.apiVersion), got \"\(apiVersion)\"")
        }
        guard kind == "IncidentReport" else {
            throw InputError(field: "kind", problem: "must be IncidentReport, got \"\(kind)\"")
        }
        guard Self.isDNSSubdomain(metadata.name) else {
            throw InputError(field: "metadata.name", problem: "must be a lowercase DNS subdomain ([a-z0-9-.], ≤253), got \"\(metadata.name)\"")
        }
        if let ns = metadata.namespace, !Self.isDNSLabel(ns) {
            throw InputError(field: "metadata.namespace", problem: "must be a DNS label, got \"\(ns)\"")
        }
        guard !spec.summary.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw InputError(field: "spec.summary", problem: "must not be empty")
        }
        guard Self.severities.contains(spec.severity) else {
            throw InputError(field: "spec.severity", problem: "must be one of \(Self.severities.joined(separator: ", ")), got \"\(spec.severity)\"")
        }
    }

    static func isDNSSubdomain(_ s: String) -> Bool {
        guard !s.isEmpty, s.count <= 253 else { return false }
        return allowed(s, extra: ["-", "."])
    }

    static func isDNSLabel(_ s: String) -> Bool {
        guard !s.isEmpty, s.count <= 63 else { return false }
        return allowed(s, extra: ["-"])
    }

    private static func allowed(_ s: String, extra: Set<Unicode.Scalar>) -> Bool {
        func alnum(_ c: Unicode.Scalar) -> Bool { ("a"..."z").contains(c) || ("0"..."9").contains(c) }
        let scalars = Array(s.unicodeScalars)
        return scalars.allSatisfy { alnum($0) || extra.contains($0) } && alnum(scalars.first!) && alnum(scalars.last!)
    }

    /// Plans the events of applying this report against the group's open incident.
    public func plan(open: IngestState.OpenIncident?, receivedAt: Date, trace: TraceContext) -> IngestPlan {
        var plan = IngestPlan()
        let id = EventIDs.incident(source: "incidentreport", parts: [namespace, metadata.name])
        let producer = IngestPlanner.producer
        if spec.resolved == true {
            guard let open else { plan.duplicates = 1; return plan }
            plan.events.append(.derived(incidentID: open.id, producer: producer, causationID: open.id, step: "resolved",
                                        trace: trace.child(), occurredAt: receivedAt,
                                        payload: .incidentResolved(IncidentResolved(reason: "IncidentReport \(namespace)/\(metadata.name) marked resolved"))))
            plan.newGroupState = nil
            plan.incidentID = open.id
            return plan
        }
        if let open {
            plan.duplicates = 1
            plan.newGroupState = open
            plan.incidentID = open.id
            return plan
        }
        var labels = spec.labels ?? [:]
        labels["alertname"] = labels["alertname"] ?? IncidentOpened.reportAlertName
        if let service = spec.service { labels["service"] = service }
        labels["severity"] = spec.severity
        labels["namespace"] = namespace
        var annotations = spec.annotations ?? [:]
        annotations["summary"] = spec.summary
        if let d = spec.description { annotations["description"] = d }
        let opened = trace.child()
        plan.events.append(.derived(
            incidentID: id, producer: producer, causationID: groupKey, step: "opened:\(id)", trace: opened,
            occurredAt: receivedAt,
            payload: .incidentOpened(IncidentOpened(
                source: .incidentreport, groupKey: groupKey, title: spec.summary, severity: spec.severity,
                service: spec.service, receiver: nil, externalURL: nil, labels: labels, annotations: annotations))))
        // A report stays open until it is re-applied with `resolved: true`.
        plan.newGroupState = IngestState.OpenIncident(id: id, trace: opened)
        plan.incidentID = id
        return plan
    }
}

/// Yams prints "LINE:COLUMN: error: …" followed by the offending source lines;
/// keep the first line and say which line it is about.
func yamlProblem(_ error: YamlError) -> String {
    let text = "\(error)"
    let first = text.split(separator: "\n").first.map(String.init) ?? text
    let parts = first.split(separator: ":", maxSplits: 2)
    if parts.count == 3, let line = Int(parts[0]), let column = Int(parts[1]) {
        return "YAML syntax error at line \(line), column \(column):\(parts[2])"
    }
    return "YAML syntax error: \(first)"
}
