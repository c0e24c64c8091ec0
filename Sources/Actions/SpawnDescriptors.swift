import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Keeps the daemon's own descriptors (Kafka and PostgreSQL sockets, files
/// being written) out of the processes it starts: glibc's
/// `posix_spawn_file_actions_addclosefrom_np` (2.34+), looked up at run time
/// because the Glibc module does not declare it.
enum SpawnDescriptors {
    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private static let closeFrom: CloseFrom? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np")
        .map { unsafeBitCast($0, to: CloseFrom.self) }

    /// Adds "close every descriptor from 3 up" to `actions`, where the C library can.
    static func closeInherited(_ actions: inout posix_spawn_file_actions_t) {
        _ = closeFrom?(&actions, 3)
    }
}
