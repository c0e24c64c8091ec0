/// How large a webhook's parts may be. An alert becomes one record on the log
/// (its labels and annotations travel with `AlertAttached`), so every part is
/// bounded well under Kafka's record limit; a field over its bound is a 400
/// that names it (Alertmanager does not retry a 4xx), never a 503 that would
/// be retried for ever.
public enum WebhookLimits {
    public static let maxLabels = 64
    public static let maxLabelName = 128
    public static let maxLabelValue = 2_048
    public static let maxAnnotations = 64
    public static let maxAnnotationValue = 16_384
    public static let maxURL = 8_192
    public static let maxGroupKey = 4_096
    public static let maxID = 256
    /// Labels and annotations of one alert together: its record stays far below Kafka's 1 MB default.
    public static let maxAlertBytes = 256 * 1024

    // Field names are built only for the error (every alert of every webhook passes through here).

    static func check(alert labels: [String: String], _ annotations: [String: String],
                      field: @autoclosure () -> String) throws(InputError) {
        var size = 0
        for (k, v) in labels { size += k.utf8.count + v.utf8.count }
        for (k, v) in annotations { size += k.utf8.count + v.utf8.count }
        guard size <= maxAlertBytes else {
            throw InputError(field: field(), problem: "labels and annotations are \(size) bytes together; at most \(maxAlertBytes)")
        }
    }

    static func check(text: String, field: @autoclosure () -> String, max: Int) throws(InputError) {
        guard text.utf8.count <= max else {
            throw InputError(field: field(), problem: "longer than \(max) bytes (\(text.utf8.count))")
        }
    }

    static func check(labels: [String: String], field: @autoclosure () -> String) throws(InputError) {
        guard labels.count <= maxLabels else { throw InputError(field: field(), problem: "more than \(maxLabels) labels") }
        try check(pairs: labels, kind: "label", maxValue: maxLabelValue, field: field())
    }

    static func check(annotations: [String: String], field: @autoclosure () -> String) throws(InputError) {
        guard annotations.count <= maxAnnotations else {
            throw InputError(field: field(), problem: "more than \(maxAnnotations) annotations")
        }
        try check(pairs: annotations, kind: "annotation", maxValue: maxAnnotationValue, field: field())
    }

    /// Names 1...maxLabelName bytes, values at most `maxValue`; the error names the first bad pair in name order.
    static func check(pairs: [String: String], kind: String, maxValue: Int,
                      field: @autoclosure () -> String) throws(InputError) {
        let ok = pairs.allSatisfy { !$0.key.isEmpty && $0.key.utf8.count <= maxLabelName && $0.value.utf8.count <= maxValue }
        if ok { return }
        for (name, value) in pairs.sorted(by: { $0.key < $1.key }) {
            guard !name.isEmpty, name.utf8.count <= maxLabelName else {
                throw InputError(field: "\(field()).\(name.prefix(64))", problem: "a\(kind == "annotation" ? "n" : "") \(kind) name is 1 to \(maxLabelName) bytes")
            }
            try check(text: value, field: "\(field()).\(name)", max: maxValue)
        }
    }
}
