import Crypto

/// Deterministic identifiers. An id is a hash of what caused it, so the same
/// input handled twice (a redelivery, a crash before commit, an HA pair)
/// yields the same id and consumers drop the duplicate.
public enum EventIDs {
    static func hex(_ parts: [String], bytes: Int) -> String {
        var h = SHA256()
        for p in parts {
            h.update(data: Array(p.utf8))
            h.update(data: [0x1f]) // unit separator: ("ab","c") != ("a","bc")
        }
        return h.finalize().prefix(bytes).map { b in
            let s = String(b, radix: 16)
            return b < 16 ? "0" + s : s
        }.joined()
    }

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
