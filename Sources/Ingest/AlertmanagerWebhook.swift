import Foundation
import IncidentLog

/// Alertmanager's webhook payload, version 4
/// (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config).
public struct AlertmanagerWebhook: Sendable, Hashable, Codable {
    public var version: String
    public var groupKey: String
    public var truncatedAlerts: Int
    public var status: String
    public var receiver: String
    public var groupLabels: [String: String]
    public var commonLabels: [String: String]
    public var commonAnnotations: [String: String]
    public var externalURL: String
    public var alerts: [Alert]

    public struct Alert: Sendable, Hashable, Codable {
        public var status: String
        public var labels: [String: String]
        public var annotations: [String: String]
        public var startsAt: String
        public var endsAt: String
        public var generatorURL: String
        public var fingerprint: String

        public init(status: String, labels: [String: String], annotations: [String: String] = [:],
                    startsAt: String, endsAt: String = "0001-01-01T00:00:00Z", generatorURL: String = "",
                    fingerprint: String) {
            self.status = status; self.labels = labels; self.annotations = annotations
            self.startsAt = startsAt; self.endsAt = endsAt; self.generatorURL = generatorURL
            self.fingerprint = fingerprint
        }

        enum CodingKeys: String, CodingKey {
            case status, labels, annotations, startsAt, endsAt, generatorURL, fingerprint
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            status = try c.decode(String.self, forKey: .status)
            labels = try c.decodeIfPresent([String: String].self, forKey: .labels) ?? [:]
            annotations = try c.decodeIfPresent([String: String].self, forKey: .annotations) ?? [:]
            startsAt = try c.decode(String.self, forKey: .startsAt)
            endsAt = try c.decodeIfPresent(String.self, forKey: .endsAt) ?? "0001-01-01T00:00:00Z"
            generatorURL = try c.decodeIfPresent(String.self, forKey: .generatorURL) ?? ""
            // Senders other than Alertmanager may omit it; derive it from the labels as Alertmanager does.
            fingerprint = try c.decodeIfPresent(String.self, forKey: .fingerprint)
                ?? Self.fingerprint(labels: labels)
        }

        public var alertname: String { labels["alertname"] ?? "" }

        /// A stable fingerprint of a label set (used when the sender sent none).
        public static func fingerprint(labels: [String: String]) -> String {
            // FNV-1a 64 over sorted name/value pairs, printed as 16 hex digits like Alertmanager's.
            var h: UInt64 = 0xcbf2_9ce4_8422_2325
            for (k, v) in labels.sorted(by: { $0.key < $1.key }) {
                for b in k.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
                h = (h ^ 0xff) &* 0x100_0000_01b3
                for b in v.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
                h = (h ^ 0xff) &* 0x100_0000_01b3
            }
            let s = String(h, radix: 16)
            return String(repeating: "0", count: 16 - s.count) + s
        }
    }

    public init(version: String = "4", groupKey: String, truncatedAlerts: Int = 0, status: String,
                receiver: String, groupLabels: [String: String] = [:], commonLabels: [String: String] = [:],
                commonAnnotations: [String: String] = [:], externalURL: String = "", alerts: [Alert]) {
        self.version = version; self.groupKey = groupKey; self.truncatedAlerts = truncatedAlerts
        self.status = status; self.receiver = receiver; self.groupLabels = groupLabels
        self.commonLabels = commonLabels; self.commonAnnotations = commonAnnotations
        self.externalURL = externalURL; self.alerts = alerts
    }

    enum CodingKeys: String, CodingKey {
        case version, groupKey, truncatedAlerts, status, receiver, groupLabels, commonLabels
        case commonAnnotations, externalURL, alerts
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        version = try c.decode(String.self, forKey: .version)
        groupKey = try c.decode(String.self, forKey: .groupKey)
        truncatedAlerts = try c.decodeIfPresent(Int.self, forKey: .truncatedAlerts) ?? 0
        status = try c.decode(String.self, forKey: .status)
        receiver = try c.decodeIfPresent(String.self, forKey: .receiver) ?? ""
        groupLabels = try c.decodeIfPresent([String: String].self, forKey: .groupLabels) ?? [:]
        commonLabels = try c.decodeIfPresent([String: String].self, forKey: .commonLabels) ?? [:]
        commonAnnotations = try c.decodeIfPresent([String: String].self, forKey: .commonAnnotations) ?? [:]
        externalURL = try c.decodeIfPresent(String.self, forKey: .externalURL) ?? ""
        alerts = try c.decode([Alert].self, forKey: .alerts)
    }

    /// Decodes and validates; the error names the offending field.
    public static func decode(_ data: Data) throws(InputError) -> AlertmanagerWebhook {
        let webhook: AlertmanagerWebhook
        do {
            webhook = try JSONDecoder().decode(AlertmanagerWebhook.self, from: data)
        } catch let error as DecodingError {
            throw InputError(decoding: error)
        } catch {
            throw InputError(field: "$", problem: "not JSON: \(error)")
        }
        try webhook.validate()
        return webhook
    }

    public func validate() throws(InputError) {
        guard version == "4" else { throw InputError(field: "version", problem: "unsupported version \"\(version)\", expected \"4\"") }
        guard !groupKey.isEmpty else { throw InputError(field: "groupKey", problem: "must not be empty") }
        guard status == "firing" || status == "resolved" else {
            throw InputError(field: "status", problem: "must be \"firing\" or \"resolved\", got \"\(status)\"")
        }
        guard truncatedAlerts >= 0 else { throw InputError(field: "truncatedAlerts", problem: "must not be negative") }
        // Alerts of one delivery mostly share their times: each distinct one is parsed once.
        var times: Set<String> = []
        func isTime(_ t: String) -> Bool {
            if times.contains(t) { return true }
            guard RFC3339.parse(t) != nil else { return false }
            times.insert(t)
            return true
        }
        for (i, a) in alerts.enumerated() {
            guard a.status == "firing" || a.status == "resolved" else {
                throw InputError(field: "alerts[\(i)].status", problem: "must be \"firing\" or \"resolved\", got \"\(a.status)\"")
            }
            guard isTime(a.startsAt) else {
                throw InputError(field: "alerts[\(i)].startsAt", problem: "not an RFC 3339 time: \"\(a.startsAt)\"")
            }
            guard isTime(a.endsAt) else {
                throw InputError(field: "alerts[\(i)].endsAt", problem: "not an RFC 3339 time: \"\(a.endsAt)\"")
            }
            guard !a.fingerprint.isEmpty else {
                throw InputError(field: "alerts[\(i)].fingerprint", problem: "must not be empty")
            }
            try WebhookLimits.check(text: a.fingerprint, field: "alerts[\(i)].fingerprint", max: WebhookLimits.maxID)
            try WebhookLimits.check(text: a.generatorURL, field: "alerts[\(i)].generatorURL", max: WebhookLimits.maxURL)
            try WebhookLimits.check(labels: a.labels, field: "alerts[\(i)].labels")
            try WebhookLimits.check(annotations: a.annotations, field: "alerts[\(i)].annotations")
            try WebhookLimits.check(alert: a.labels, a.annotations, field: "alerts[\(i)]")
        }
        try WebhookLimits.check(text: groupKey, field: "groupKey", max: WebhookLimits.maxGroupKey)
        try WebhookLimits.check(text: receiver, field: "receiver", max: WebhookLimits.maxID)
        try WebhookLimits.check(text: externalURL, field: "externalURL", max: WebhookLimits.maxURL)
        try WebhookLimits.check(labels: groupLabels, field: "groupLabels")
        try WebhookLimits.check(labels: commonLabels, field: "commonLabels")
        try WebhookLimits.check(annotations: commonAnnotations, field: "commonAnnotations")
    }
}

/// Bad input: which field, and what is wrong with it. Answered as HTTP 400.
public struct InputError: Error, CustomStringConvertible, Sendable, Equatable {
    public var field: String
    public var problem: String

    public init(field: String, problem: String) {
        self.field = field
        self.problem = problem
    }

    init(decoding error: DecodingError) {
        func path(_ keys: [CodingKey]) -> String {
            var out = ""
            for k in keys {
                if let i = k.intValue { out += "[\(i)]" } else { out += out.isEmpty ? k.stringValue : ".\(k.stringValue)" }
            }
            return out.isEmpty ? "$" : out
        }
        switch error {
        case .keyNotFound(let key, let ctx):
            let parent = path(ctx.codingPath)
            self.init(field: parent == "$" ? key.stringValue : "\(parent).\(key.stringValue)", problem: "is required")
        case .typeMismatch(let type, let ctx):
            self.init(field: path(ctx.codingPath), problem: "expected \(Self.jsonType(type))")
        case .valueNotFound(let type, let ctx):
            self.init(field: path(ctx.codingPath), problem: "expected \(Self.jsonType(type)), got null")
        case .dataCorrupted(let ctx):
            self.init(field: path(ctx.codingPath), problem: ctx.codingPath.isEmpty ? "not valid JSON" : ctx.debugDescription)
        @unknown default:
            self.init(field: "$", problem: "\(error)")
        }
    }

    static func jsonType(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type: "an integer"
        case is [String: String].Type: "an object of strings"
        default: "\(type)"
        }
    }

    public var description: String { "\(field): \(problem)" }
}
