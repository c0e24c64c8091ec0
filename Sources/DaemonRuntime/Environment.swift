import Foundation

/// Configuration lookup: command-line flag > environment variable > default.
/// Every daemon resolves its documented configuration struct through this.
public struct ConfigSource: Sendable {
    public var environment: [String: String]
    /// Flag values by flag name (without dashes).
    public var flags: [String: String]

    public init(environment: [String: String] = ProcessInfo.processInfo.environment, flags: [String: String] = [:]) {
        self.environment = environment
        self.flags = flags
    }

    /// The raw value of a setting: flag, environment, `<ENV>_FILE` (secrets), or nil.
    public func raw(_ s: Setting) throws -> String? {
        if let v = flags[s.flag] { return v }
        if let v = environment[s.env], !v.isEmpty { return v }
        if s.secret, let path = environment[s.env + "_FILE"], !path.isEmpty {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ConfigError("\(s.env)_FILE=\(path): cannot read the file")
            }
            return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return nil
    }

    public func string(_ s: Setting) throws -> String {
        guard let v = try raw(s) ?? s.defaultValue else { throw ConfigError("\(s.env) (--\(s.flag)) is required: \(s.help)") }
        return v
    }

    public func optional(_ s: Setting) throws -> String? { try raw(s) ?? s.defaultValue.flatMap { $0.isEmpty ? nil : $0 } }

    public func int(_ s: Setting) throws -> Int {
        let v = try string(s)
        guard let i = Int(v) else { throw ConfigError("\(s.env)=\(v) is not an integer") }
        return i
    }

    public func double(_ s: Setting) throws -> Double {
        let v = try string(s)
        guard let d = Double(v), d.isFinite else { throw ConfigError("\(s.env)=\(v) is not a number") }
        return d
    }

    public func bool(_ s: Setting) throws -> Bool {
        switch try string(s).lowercased() {
        case "true", "1", "yes", "on": return true
        case "false", "0", "no", "off": return false
        case let v: throw ConfigError("\(s.env)=\(v) is not true or false")
        }
    }
}

extension ConfigSource {
    /// flag > environment > default, for the operator CLI's own options (not daemon settings).
    public func string(_ flag: String?, env: String, default value: String) -> String {
        flag ?? environment[env].flatMap { $0.isEmpty ? nil : $0 } ?? value
    }

    public func optionalString(_ flag: String?, env: String) -> String? {
        flag ?? environment[env].flatMap { $0.isEmpty ? nil : $0 }
    }
}

public struct ConfigError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
