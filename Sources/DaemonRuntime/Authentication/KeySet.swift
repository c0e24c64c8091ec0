import Foundation
import IncidentLog

/// A key per producer and the keyring that trusts them all: what
/// `aiops keys generate` writes, and what benchmarks and tests use.
public struct KeySet: Sendable {
    public let keys: [String: ProducerKey]
    public let keyring: Keyring

    /// A fresh key for each of `producers` (every producer of the log by default), key ids `<producer>-<suffix>`.
    public static func generate(producers: [String] = EventOwnership.producers,
                                suffix: String = KeySet.dateSuffix()) throws -> KeySet {
        var keys: [String: ProducerKey] = [:]
        for p in producers { keys[p] = try ProducerKey.generate(producer: p, keyID: "\(p)-\(suffix)") }
        return KeySet(keys: keys, keyring: try Keyring(producers.compactMap { keys[$0] }))
    }

    public init(keys: [String: ProducerKey], keyring: Keyring) {
        self.keys = keys
        self.keyring = keyring
    }

    public func key(_ producer: String) throws -> ProducerKey {
        guard let k = keys[producer] else { throw ConfigError("no key for \(producer)") }
        return k
    }

    /// `yyyyMMddHHmmss` in UTC: key ids that sort by age.
    public static func dateSuffix(_ date: Date = Date()) -> String {
        RFC3339.format(date).filter(\.isNumber).prefix(14).description
    }
}
