import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A free TCP port on 127.0.0.1, for tools and tests that start servers of
/// their own. It is chosen below the kernel's ephemeral range, so an outgoing
/// connection (to Kafka, PostgreSQL, an HTTP server) cannot take it between
/// this check and the server's bind, and it is never handed out twice in one
/// process. A port is free when a bind to it succeeds.
public func freeLoopbackPort() throws -> Int {
    let (low, high) = LoopbackPorts.range
    for _ in 0..<256 {
        let port = Int.random(in: low..<high)
        guard LoopbackPorts.handedOut.withLock({ $0.insert(port).inserted }) else { continue }
        if try LoopbackPorts.canBind(port) { return port }
    }
    throw ConfigError("no free TCP port on 127.0.0.1 in \(low)..<\(high) after 256 tries")
}

enum LoopbackPorts {
    static let handedOut = Mutex<Set<Int>>([])

    /// The 12,000 ports just below the ephemeral range (`ip_local_port_range`, 32768 when unreadable).
    static let range: (Int, Int) = {
        let text = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)) ?? ""
        let ephemeralLow = text.split(whereSeparator: \.isWhitespace).first.flatMap { Int($0) } ?? 32768
        let high = max(ephemeralLow, 2048)
        return (max(1024, high - 12_000), high)
    }()

    static func canBind(_ port: Int) throws -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ConfigError("socket() failed: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return bound == 0
    }
}
