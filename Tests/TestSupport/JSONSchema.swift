import Foundation
import IncidentLog

/// A validator for the subset of JSON Schema (2020-12) that `topics/schemas`
/// uses: type, required, properties, additionalProperties, enum, pattern,
/// minLength, minimum, items, local $ref and format date-time. Tests validate every event
/// they see against it.
public struct JSONSchema: Sendable {
    public let root: JSONValue

    public init(_ root: JSONValue) { self.root = root }

    public init(data: Data) throws { root = try JSONDecoder().decode(JSONValue.self, from: data) }

    /// Violations as `path: problem`; empty when valid.
    public func validate(_ value: JSONValue) -> [String] {
        var errors: [String] = []
        Self.check(value, against: root, root: root, path: "$", errors: &errors)
        return errors
    }

    static func typeName(_ v: JSONValue) -> String {
        switch v {
        case .null: "null"
        case .bool: "boolean"
        case .number(let n): n == n.rounded() ? "integer" : "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    static func check(_ value: JSONValue, against schema: JSONValue, root: JSONValue, path: String,
                      errors: inout [String]) {
        guard case .object(var s) = schema else { return }
        // Local references only: "#/$defs/name".
        if case .string(let ref) = s["$ref"], ref.hasPrefix("#/") {
            var target: JSONValue? = root
            for part in ref.dropFirst(2).split(separator: "/") { target = target?[String(part)] }
            guard case .object(let resolved) = target else {
                errors.append("\(path): unresolvable $ref \(ref)")
                return
            }
            s = resolved
        }
        if let t = s["type"] {
            let allowed: [String] = switch t {
            case .string(let one): [one]
            case .array(let many): many.compactMap(\.stringValue)
            default: []
            }
            let actual = typeName(value)
            let ok = allowed.contains(actual) || (actual == "integer" && allowed.contains("number"))
            if !ok {
                errors.append("\(path): expected \(allowed.joined(separator: " or ")), got \(actual)")
                return
            }
        }
        if case .array(let options) = s["enum"], !options.contains(value) {
            errors.append("\(path): \(value) is not one of the allowed values")
        }
        switch value {
        case .string(let str):
            if case .number(let min) = s["minLength"], Double(str.count) < min {
                errors.append("\(path): shorter than \(Int(min))")
            }
            if case .string(let pattern) = s["pattern"],
               str.range(of: pattern, options: .regularExpression) == nil {
                errors.append("\(path): \"\(str)\" does not match \(pattern)")
            }
            if s["format"] == .string("date-time"), RFC3339.parse(str) == nil {
                errors.append("\(path): \"\(str)\" is not an RFC 3339 date-time")
            }
        case .number(let n):
            if case .number(let min) = s["minimum"], n < min { errors.append("\(path): below minimum \(min)") }
        case .array(let items):
            if let itemSchema = s["items"] {
                for (i, item) in items.enumerated() {
                    check(item, against: itemSchema, root: root, path: "\(path)[\(i)]", errors: &errors)
                }
            }
        case .object(let obj):
            if case .array(let required) = s["required"] {
                for r in required.compactMap(\.stringValue) where obj[r] == nil {
                    errors.append("\(path): missing required property \(r)")
                }
            }
            var props: [String: JSONValue] = [:]
            if case .object(let p) = s["properties"] { props = p }
            for (k, v) in obj.sorted(by: { $0.key < $1.key }) {
                if let ps = props[k] {
                    check(v, against: ps, root: root, path: "\(path).\(k)", errors: &errors)
                } else if let extra = s["additionalProperties"] {
                    if extra == .bool(false) {
                        errors.append("\(path): unexpected property \(k)")
                    } else {
                        check(v, against: extra, root: root, path: "\(path).\(k)", errors: &errors)
                    }
                }
            }
        default:
            break
        }
    }
}

/// The schemas of `topics/schemas`, loaded from a directory.
public struct SchemaRegistry: Sendable {
    public let schemas: [String: JSONSchema]

    public init(directory: URL) throws {
        var s: [String: JSONSchema] = [:]
        let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
        for f in files where f.pathExtension == "json" {
            s[f.deletingPathExtension().lastPathComponent] = try JSONSchema(data: Data(contentsOf: f))
        }
        schemas = s
    }

    /// Validates a record of `schema` (a file name without `.json`).
    public func validate(_ data: Data, as schema: String) throws -> [String] {
        guard let s = schemas[schema] else { return ["no schema named \(schema)"] }
        return s.validate(try JSONDecoder().decode(JSONValue.self, from: data))
    }

    /// Validates an incident event: the envelope, then its payload against the schema of its type.
    public func validateIncidentEvent(_ data: Data) throws -> [String] {
        let value = try JSONDecoder().decode(JSONValue.self, from: data)
        var errors = schemas["IncidentEvent"]?.validate(value) ?? ["no IncidentEvent schema"]
        guard let type = value["type"]?.stringValue else { return errors }
        guard let payloadSchema = schemas[type] else { return errors + ["no schema for event type \(type)"] }
        errors += payloadSchema.validate(value["payload"] ?? .null).map { "payload" + $0.dropFirst() }
        return errors
    }
}
