import Actions
import Foundation
import IncidentLog

/// Where a planner's parameters may come from: a free-form string parameter
/// (a namespace, a deployment, a pod, a host) must name something this
/// incident mentions — one of its label values or a whole token of one
/// (`127.0.0.1` of `instance="127.0.0.1:9100"`), or a whole token in the
/// evidence it retrieved. A model talked into "scale payments-db in
/// kube-system" by a poisoned document cannot aim outside the incident.
public struct ParameterProvenance: Sendable {
    let labelValues: Set<String>
    let evidence: [String]
    /// The alerting rules' expressions (from the alerts' `generatorURL`): a query may be exactly one of them.
    let expressions: Set<String>

    public init(labels: [String: String], sections: [EvidenceSection], expressions: Set<String> = []) {
        labelValues = Set(labels.values)
        evidence = sections.map(\.content)
        self.expressions = expressions
    }

    /// Why `parameters` of `definition` are not grounded in the incident, or nil when they are.
    public func problem(_ definition: ActionDefinition, _ parameters: [String: String]) -> String? {
        for (name, value) in parameters.sorted(by: { $0.key < $1.key }) {
            guard let spec = definition.parameters[name], spec.namesATarget else { continue }
            if expressions.contains(value) { continue }
            if labelValues.contains(value) || labelValues.contains(where: { Self.appears(value, in: $0) })
                || evidence.contains(where: { Self.appears(value, in: $0) }) { continue }
            return "\(name)=\(value) is not a label of this incident nor named in its evidence"
        }
        return nil
    }

    /// `value` as a whole token of `text` (not part of a longer name).
    static func appears(_ value: String, in text: String) -> Bool {
        guard !value.isEmpty else { return false }
        var search = text.startIndex..<text.endIndex
        while let r = text.range(of: value, range: search) {
            let before = r.lowerBound == text.startIndex ? nil : text[text.index(before: r.lowerBound)]
            let after = r.upperBound == text.endIndex ? nil : text[r.upperBound]
            if !isNameCharacter(before) && !isNameCharacter(after) { return true }
            search = text.index(after: r.lowerBound)..<text.endIndex
        }
        return false
    }

    static func isNameCharacter(_ c: Character?) -> Bool {
        guard let c else { return false }
        return c.isLetter || c.isNumber || c == "-" || c == "_" || c == "."
    }
}
