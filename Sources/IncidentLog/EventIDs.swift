import Crypto

/// Deterministic identifiers. An id is a hash of what caused it, so the same
/// input handled twice (a redelivery, a crash before commit, an HA pair)
/// yields the same id and consumers drop the duplicate.
public enum EventIDs {
    static func hex(_ parts: [String], bytes: Int) -> String {
        var h = SHA256()
        for p in parts {
            var p = p
            p.withUTF8 { h.update(bufferPointer: UnsafeRawBufferPointer($0)) }
            h.update(data: separator) // unit separator: ("ab","c") != ("a","bc")
        }
        // Every planned event and alert gets an id: hex from a table, one allocation.
        let digest = h.finalize()
        return String(unsafeUninitializedCapacity: bytes * 2) { out in
            var i = 0
            for b in digest.prefix(bytes) {
                out[i] = digits[Int(b >> 4)]
                out[i + 1] = digits[Int(b & 0x0f)]
                i += 2
            }
            return i
        }
    }

    static let separator: [UInt8] = [0x1f]
    static let digits = Array("0123456789abcdef".utf8)

    /// `ev-` + 32 hex: from the cause, the producer and the step within the handling.
    public static func event(causation: String, producer: String, step: String) -> String {
        "ev-" + hex([causation, producer, step], bytes: 16)
    }

    /// `inc-` + 20 hex: from the source and what identifies the incident there.
    public static func incident(source: String, parts: [String]) -> String {
        "inc-" + hex([source] + parts, bytes: 10)
    }

    /// `alert-` + 32 hex: one alert occurrence in one status, within one group.
    public static func alert(groupKey: String, fingerprint: String, status: String, startsAt: String) -> String {
        "alert-" + hex([groupKey, fingerprint, status, startsAt], bytes: 16)
    }
}
