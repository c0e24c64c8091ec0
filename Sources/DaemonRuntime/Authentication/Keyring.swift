import Crypto
import Foundation
import IncidentLog

/// The public keys a daemon trusts, by key id, each bound to one producer.
/// During a rotation a producer has two keys here (old and new); records
/// signed with either verify, and the old one is removed once no record
/// signed with it is still to be read.
///
/// File format (JSON): `{"keys": [{"producer": "retriever", "key_id": "retriever-20261129",
/// "public_key": "<base64 of the 32-byte Ed25519 public key>"}]}`.
public struct Keyring: Sendable {
    public struct Entry: Sendable, Codable, Hashable {
        public var producer: String
        public var keyID: String
        public var publicKey: String
        enum CodingKeys: String, CodingKey { case producer; case keyID = "key_id"; case publicKey = "public_key" }
        public init(producer: String, keyID: String, publicKey: String) {
            self.producer = producer; self.keyID = keyID; self.publicKey = publicKey
        }
    }

    struct Key: Sendable {
        var producer: String
        var key: Curve25519.Signing.PublicKey
    }

    private let keys: [String: Key]
    public let entries: [Entry]

    public init(entries: [Entry]) throws {
        var keys: [String: Key] = [:]
        for e in entries {
            guard EventFormat.isProducer(e.producer), KeyID.isValid(e.keyID) else {
                throw ConfigError("trusted keys: \(e.producer)/\(e.keyID) is not a producer name and key id")
            }
            guard let raw = Data(base64Encoded: e.publicKey), let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else {
                throw ConfigError("trusted keys: \(e.keyID): public_key is not a base64 Ed25519 public key")
            }
            guard keys[e.keyID] == nil else { throw ConfigError("trusted keys: key id \(e.keyID) appears twice") }
            keys[e.keyID] = Key(producer: e.producer, key: key)
        }
        self.keys = keys
        self.entries = entries
    }

    public init(_ producerKeys: [ProducerKey]) throws {
        try self.init(entries: producerKeys.map {
            Entry(producer: $0.producer, keyID: $0.keyID, publicKey: $0.publicKey.rawRepresentation.base64EncodedString())
        })
    }

    public static func load(path: String) throws -> Keyring {
        guard let data = FileManager.default.contents(atPath: path) else { throw ConfigError("trusted keys: cannot read \(path)") }
        struct File: Decodable { var keys: [Entry] }
        guard data.count <= 1 << 20, let f = try? JSONDecoder().decode(File.self, from: data) else {
            throw ConfigError("trusted keys \(path): not a keys file ({\"keys\": [{\"producer\", \"key_id\", \"public_key\"}]})")
        }
        return try Keyring(entries: f.keys)
    }

    public func fileData() throws -> Data {
        struct File: Encodable { var keys: [Entry] }
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .prettyPrinted]
        return try enc.encode(File(keys: entries.sorted { ($0.producer, $0.keyID) < ($1.producer, $1.keyID) }))
    }

    /// The producer a key id belongs to and its public key.
    func key(_ keyID: String) -> Key? { keys[keyID] }

    /// Verifies `signature` over `message` as made by `producer` with `keyID`.
    public func isValid(signature: some DataProtocol, for message: some DataProtocol, producer: String, keyID: String) -> Bool {
        guard let k = keys[keyID], k.producer == producer else { return false }
        return k.key.isValidSignature(signature, for: message)
    }
}
