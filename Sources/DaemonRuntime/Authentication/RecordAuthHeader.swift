import Foundation
import IncidentLog

/// The `aiops-auth` header every record carries:
/// `v1;<producer>;<key id>;<index>;<count>;<path: hex hashes joined by ",", or "-">;<signature: base64>`.
/// Parsed strictly and within bounds: it is attacker-controlled input until verified.
struct RecordAuthHeader: Sendable, Hashable {
    static let name = "aiops-auth"
    static let maxBytes = 2_048
    static let maxCount = 65_536

    var producer: String
    var keyID: String
    var index: Int
    var count: Int
    var path: [[UInt8]]
    var signature: [UInt8]

    var encoded: String {
        let p = path.isEmpty ? "-" : path.map(Self.hex).joined(separator: ",")
        return "v1;\(producer);\(keyID);\(index);\(count);\(p);\(Data(signature).base64EncodedString())"
    }

    init(producer: String, keyID: String, index: Int, count: Int, path: [[UInt8]], signature: [UInt8]) {
        self.producer = producer; self.keyID = keyID; self.index = index; self.count = count; self.path = path
        self.signature = signature
    }

    static let digits = Array("0123456789abcdef".utf8)

    static func hex(_ bytes: [UInt8]) -> String {
        var out = [UInt8](repeating: 0, count: bytes.count * 2)
        for (i, b) in bytes.enumerated() {
            out[2 * i] = digits[Int(b >> 4)]
            out[2 * i + 1] = digits[Int(b & 0x0f)]
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// nil for anything not exactly in the format.
    init?(_ bytes: [UInt8]) {
        guard bytes.count <= Self.maxBytes, let text = String(validating: bytes, as: UTF8.self) else { return nil }
        let f = text.split(separator: ";", omittingEmptySubsequences: false)
        guard f.count == 7, f[0] == "v1", let index = Int(f[3]), let count = Int(f[4]),
              count >= 1, count <= Self.maxCount, index >= 0, index < count,
              let sig = Data(base64Encoded: String(f[6])), sig.count == 64 else { return nil }
        var path: [[UInt8]] = []
        if f[5] != "-" {
            for h in f[5].split(separator: ",", omittingEmptySubsequences: false) {
                guard h.utf8.count == 64, let d = Data(hexString: String(h)) else { return nil }
                path.append(Array(d))
            }
            guard path.count <= 32 else { return nil }
        }
        self.init(producer: String(f[1]), keyID: String(f[2]), index: index, count: count, path: path, signature: Array(sig))
    }
}
