import Crypto
import Foundation
import IncidentLog

/// A producer's Ed25519 signing key: what it signs its records (and, for the
/// approver, its approvals) with. Only that producer holds it; everyone else
/// holds its public key in a `Keyring`.
///
/// File format (JSON, mode 0600): `{"producer": "retriever", "key_id": "retriever-20261129",
/// "private_key": "<base64 of the 32-byte seed>"}`.
public struct ProducerKey: Sendable {
    public let producer: String
    public let keyID: String
    public let privateKey: Curve25519.Signing.PrivateKey

    public var publicKey: Curve25519.Signing.PublicKey { privateKey.publicKey }

    public init(producer: String, keyID: String, privateKey: Curve25519.Signing.PrivateKey) throws {
        guard EventFormat.isProducer(producer) else { throw ConfigError("signing key: \"\(producer)\" is not a producer name") }
        guard KeyID.isValid(keyID) else { throw ConfigError("signing key: \"\(keyID)\" is not a key id ([A-Za-z0-9._-]{1,64})") }
        self.producer = producer
        self.keyID = keyID
        self.privateKey = privateKey
    }

    public static func generate(producer: String, keyID: String) throws -> ProducerKey {
        try ProducerKey(producer: producer, keyID: keyID, privateKey: Curve25519.Signing.PrivateKey())
    }

    struct File: Codable {
        var producer: String
        var key_id: String
        var private_key: String
    }

    public static func load(path: String) throws -> ProducerKey {
        guard let data = FileManager.default.contents(atPath: path) else { throw ConfigError("signing key: cannot read \(path)") }
        return try parse(data, source: path)
    }

    public static func parse(_ data: Data, source: String) throws -> ProducerKey {
        guard data.count <= 4_096, let f = try? JSONDecoder().decode(File.self, from: data) else {
            throw ConfigError("signing key \(source): not a key file ({\"producer\", \"key_id\", \"private_key\"})")
        }
        guard let seed = Data(base64Encoded: f.private_key), seed.count == 32,
              let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed) else {
            throw ConfigError("signing key \(source): private_key is not a base64 Ed25519 seed of 32 bytes")
        }
        return try ProducerKey(producer: f.producer, keyID: f.key_id, privateKey: key)
    }

    /// The key file's bytes.
    public func fileData() throws -> Data {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .prettyPrinted]
        return try enc.encode(File(producer: producer, key_id: keyID,
                                   private_key: privateKey.rawRepresentation.base64EncodedString()))
    }
}

enum KeyID {
    static func isValid(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.count <= 64 && s.utf8.allSatisfy {
            (0x30...0x39).contains($0) || (0x41...0x5a).contains($0) || (0x61...0x7a).contains($0) || $0 == 0x2e || $0 == 0x5f || $0 == 0x2d
        }
    }
}
