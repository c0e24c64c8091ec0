import Foundation
import IncidentLog

/// The `aiops-auth` header every record carries, binary (it is on every record: a 100-alert webhook writes
/// ~200 of them, so its size is throughput):
/// `0x01 | u8 len, producer | u8 len, key id | u32 index | u32 count | u8 n, n × 32-byte path hashes | 64-byte signature`
/// (integers big-endian). Parsed strictly and within bounds: it is attacker-controlled input until verified.
struct RecordAuthHeader: Sendable, Hashable {
    static let name = "aiops-auth"
    static let version: UInt8 = 1
    static let maxBytes = 2_048
    static let maxCount = 65_536

    var producer: String
    var keyID: String
    var index: Int
    var count: Int
    var path: [[UInt8]]
    var signature: [UInt8]

    init(producer: String, keyID: String, index: Int, count: Int, path: [[UInt8]], signature: [UInt8]) {
        self.producer = producer; self.keyID = keyID; self.index = index; self.count = count; self.path = path
        self.signature = signature
    }

    var encoded: [UInt8] {
        let p = Array(producer.utf8.prefix(255)), k = Array(keyID.utf8.prefix(255))
        var out: [UInt8] = []
        out.reserveCapacity(1 + 1 + p.count + 1 + k.count + 8 + 1 + 32 * path.count + 64)
        out.append(Self.version)
        out.append(UInt8(p.count)); out += p
        out.append(UInt8(k.count)); out += k
        out += RecordBatch.bigEndian(UInt32(clamping: index))
        out += RecordBatch.bigEndian(UInt32(clamping: count))
        out.append(UInt8(clamping: path.count))
        for h in path { out += h }
        out += signature
        return out
    }

    /// nil for anything not exactly in the format.
    init?(_ bytes: [UInt8]) {
        guard bytes.count <= Self.maxBytes else { return nil }
        var at = 0
        func take(_ n: Int) -> ArraySlice<UInt8>? {
            guard n >= 0, at + n <= bytes.count else { return nil }
            defer { at += n }
            return bytes[at..<(at + n)]
        }
        func u8() -> Int? { take(1).map { Int($0.first!) } }
        func u32() -> Int? { take(4).map { $0.reduce(0) { $0 << 8 | Int($1) } } }
        func text() -> String? {
            guard let n = u8(), n > 0, let b = take(n) else { return nil }
            return String(validating: b, as: UTF8.self)
        }
        guard u8() == Int(Self.version), let producer = text(), let keyID = text(), let index = u32(), let count = u32(),
              count >= 1, count <= Self.maxCount, index < count, let n = u8(), n <= 32 else { return nil }
        var path: [[UInt8]] = []
        for _ in 0..<n {
            guard let h = take(32) else { return nil }
            path.append(Array(h))
        }
        guard let sig = take(64), at == bytes.count else { return nil }
        self.init(producer: producer, keyID: keyID, index: index, count: count, path: path, signature: Array(sig))
    }
}
