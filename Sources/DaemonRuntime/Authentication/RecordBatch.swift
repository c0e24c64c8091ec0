import Crypto
import Foundation

/// How a batch of records is signed with one Ed25519 signature: the records
/// are the leaves of a Merkle tree (RFC 6962 shape: leaf = H(0x00‖record),
/// node = H(0x01‖left‖right), unbalanced trees split at the largest power of
/// two), the producer signs the root once, and each record carries its
/// inclusion path. A 100-alert webhook costs one signature instead of 200, and
/// a consumer verifies a batch's signature once (then only hashes its path).
enum RecordBatch {
    static let leafDomain = Array("aiops-record-v1".utf8)
    static let rootDomain = Array("aiops-batch-v1".utf8)

    /// The leaf hash of one record: topic, key (or its absence) and value, length-prefixed.
    static func leaf(topic: String, key: [UInt8]?, value: [UInt8]) -> [UInt8] {
        var h = SHA256()
        h.update(data: [0x00])
        h.update(data: leafDomain)
        var topic = topic
        topic.withUTF8 { t in
            h.update(data: bigEndian(UInt32(clamping: t.count)))
            h.update(bufferPointer: UnsafeRawBufferPointer(t))
        }
        if let key { h.update(data: [1]); lengthPrefixed(key, into: &h) } else { h.update(data: [0]) }
        lengthPrefixed(value, into: &h)
        return Array(h.finalize())
    }

    static func node(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] {
        var h = SHA256()
        h.update(data: [0x01])
        h.update(data: left)
        h.update(data: right)
        return Array(h.finalize())
    }

    /// What the producer signs: domain, producer, key id, leaf count and root, each unambiguous.
    static func signedMessage(producer: String, keyID: String, count: Int, root: [UInt8]) -> [UInt8] {
        var out = rootDomain
        for field in [Array(producer.utf8), Array(keyID.utf8)] {
            out += bigEndian(UInt32(field.count)) + field
        }
        return out + bigEndian(UInt32(count)) + root
    }

    /// Root and every leaf's inclusion path, each subtree hashed once.
    static func tree(_ leaves: [[UInt8]]) -> (root: [UInt8], paths: [[[UInt8]]]) {
        var paths = [[[UInt8]]](repeating: [], count: leaves.count)
        func build(_ lo: Int, _ hi: Int) -> [UInt8] {
            if hi - lo == 1 { return leaves[lo] }
            let k = largestPowerOfTwo(below: hi - lo)
            let left = build(lo, lo + k)
            let right = build(lo + k, hi)
            // Leaves on the left need the right subtree's hash, and the other way round.
            for i in lo..<(lo + k) { paths[i].append(right) }
            for i in (lo + k)..<hi { paths[i].append(left) }
            return node(left, right)
        }
        let root = build(0, leaves.count)
        return (root, paths)
    }

    /// The root a leaf at `index` of `count` leaves leads to through `path` (RFC 9162 §2.1.3.2), or nil.
    static func root(leaf: [UInt8], index: Int, count: Int, path: [[UInt8]]) -> [UInt8]? {
        guard index >= 0, index < count else { return nil }
        var fn = index, sn = count - 1
        var r = leaf
        for p in path {
            guard sn != 0 else { return nil }
            if fn & 1 == 1 || fn == sn {
                r = node(p, r)
                if fn & 1 == 0 { while fn & 1 == 0 && fn != 0 { fn >>= 1; sn >>= 1 } }
            } else {
                r = node(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 ? r : nil
    }

    static func largestPowerOfTwo(below n: Int) -> Int {
        var k = 1
        while k << 1 < n { k <<= 1 }
        return k
    }

    static func lengthPrefixed(_ bytes: [UInt8], into h: inout SHA256) {
        h.update(data: bigEndian(UInt32(clamping: bytes.count)))
        h.update(data: bytes)
    }

    static func bigEndian(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)] }
}
