import ArgumentParser
import DaemonRuntime
import Foundation
import IncidentLog
import OperatorCLI

/// `aiops keys`: the Ed25519 keys that authenticate the incident log (ADR 0007).
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Producer signing keys and the trusted-keys file.",
        subcommands: [Generate.self, Rotate.self, Retire.self])

    static func write(_ data: Data, to url: URL, mode: Int) throws {
        try data.write(to: url, options: .atomic)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: url.path)
    }

    static func trusted(_ dir: URL) -> URL { dir.appendingPathComponent("trusted-keys.json") }
    static func keyFile(_ dir: URL, _ producer: String) -> URL { dir.appendingPathComponent("\(producer).key.json") }

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A key per producer (<producer>.key.json, mode 0600) and trusted-keys.json with their public keys.")
        @Option(help: "Directory to write to.") var dir: String
        @Option(help: "Only these producers (default: every producer of the log).") var producer: [String] = []
        @Flag(help: "Overwrite existing keys.") var force = false

        func run() throws {
            let dir = URL(fileURLWithPath: dir)
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let producers = producer.isEmpty ? EventOwnership.producers : producer
            if !force, FileManager.default.fileExists(atPath: KeysCommand.trusted(dir).path) {
                throw ValidationError("\(KeysCommand.trusted(dir).path) exists: use --force to replace every key, or aiops keys rotate")
            }
            let set = try KeySet.generate(producers: producers)
            for p in producers {
                try KeysCommand.write(try set.key(p).fileData(), to: KeysCommand.keyFile(dir, p), mode: 0o600)
            }
            try KeysCommand.write(try set.keyring.fileData(), to: KeysCommand.trusted(dir), mode: 0o644)
            print("wrote \(producers.count) signing keys and trusted-keys.json to \(dir.path)")
        }
    }

    struct Rotate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A new key for one producer; trusted-keys.json keeps the old one until `aiops keys retire`.")
        @Option(help: "Directory of the keys.") var dir: String
        @Option(help: "The producer whose key changes.") var producer: String

        func run() throws {
            let dir = URL(fileURLWithPath: dir)
            let ring = try Keyring.load(path: KeysCommand.trusted(dir).path)
            let key = try ProducerKey.generate(producer: producer, keyID: "\(producer)-\(KeySet.dateSuffix())")
            guard !ring.entries.contains(where: { $0.keyID == key.keyID }) else { throw ValidationError("key id \(key.keyID) exists") }
            let updated = try Keyring(entries: ring.entries + (try Keyring([key])).entries)
            // Trust first, then sign: verifiers must know the new key before any record carries it.
            try KeysCommand.write(try updated.fileData(), to: KeysCommand.trusted(dir), mode: 0o644)
            try KeysCommand.write(try key.fileData(), to: KeysCommand.keyFile(dir, producer), mode: 0o600)
            print("new key \(key.keyID): roll out trusted-keys.json to every daemon first, then \(producer).key.json to \(producer)")
        }
    }

    struct Retire: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop trusting a key (after its producer signs with a newer one).")
        @Option(help: "Directory of the keys.") var dir: String
        @Option(help: "The key id to remove from trusted-keys.json.") var keyID: String

        func run() throws {
            let dir = URL(fileURLWithPath: dir)
            let ring = try Keyring.load(path: KeysCommand.trusted(dir).path)
            guard ring.entries.contains(where: { $0.keyID == keyID }) else { throw ValidationError("no key \(keyID)") }
            try KeysCommand.write(try Keyring(entries: ring.entries.filter { $0.keyID != keyID }).fileData(),
                                  to: KeysCommand.trusted(dir), mode: 0o644)
            print("retired \(keyID)")
        }
    }
}
