import CLibPQ
import Foundation
import Logging

/// pgvector's text form: `[0.1,0.2,…]`.
public enum PGVector {
    public static func literal(_ v: [Float]) -> String {
        "[" + v.map { String($0) }.joined(separator: ",") + "]"
    }

    public static func parse(_ text: String) throws -> [Float] {
        let inner = text.trimmingCharacters(in: CharacterSet(charactersIn: "[] "))
        if inner.isEmpty { return [] }
        return try inner.split(separator: ",").map {
            guard let f = Float($0.trimmingCharacters(in: .whitespaces)) else {
                throw PostgresError(.decoding, "not a vector: \(text.prefix(60))")
            }
            return f
        }
    }
}
