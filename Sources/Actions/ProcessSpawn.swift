import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Starts processes the way every runner needs them: `posix_spawnp` without a
/// shell, in a new process group (so a deadline can kill the whole group), with
/// the given standard descriptors and none of the daemon's own (Kafka and
/// PostgreSQL sockets, files being written).
enum ProcessSpawn {
    /// Where a standard descriptor of the child comes from.
    enum Source {
        case descriptor(Int32)
        case devNull
    }

    /// Starts `argv` and returns its pid. `alsoClose` are descriptors (the
    /// parent's ends of pipes) closed in the child even where the C library
    /// cannot close everything from 3 up. `environment` is all the child gets
    /// (see `ChildEnvironment`): the daemon's own is never inherited.
    static func start(_ argv: [String], stdin: Source, stdout: Source, stderr: Source, alsoClose: [Int32] = [],
                      environment: [String: String]) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var sources: Set<Int32> = []
        for (target, source) in [(Int32(0), stdin), (1, stdout), (2, stderr)] {
            switch source {
            case .descriptor(let fd):
                posix_spawn_file_actions_adddup2(&actions, fd, target)
                sources.insert(fd)
            case .devNull:
                posix_spawn_file_actions_addopen(&actions, target, "/dev/null", target == 0 ? O_RDONLY : O_WRONLY, 0)
            }
        }
        for fd in sources.union(alsoClose) where fd > 2 { posix_spawn_file_actions_addclose(&actions, fd) }
        _ = closeFrom?(&actions, 3)
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attr, 0)
        let cargs = argv.map { strdup($0) } + [nil]
        defer { for p in cargs { free(p) } }
        var cenv = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for p in cenv { free(p) } }
        var pid: pid_t = 0
        func spawn() -> Int32 { posix_spawnp(&pid, argv[0], &actions, &attr, cargs, &cenv) }
        var rc = spawn()
        // ETXTBSY: the program is still open for writing somewhere (being deployed,
        // or a descriptor inherited by a concurrent fork); it clears quickly.
        var attempts = 0
        while rc == ETXTBSY && attempts < 20 {
            usleep(50_000)
            attempts += 1
            rc = spawn()
        }
        guard rc == 0 else { throw ActionError(.launch, "cannot start \(argv[0]): \(String(cString: strerror(rc)))") }
        return pid
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+), looked up at
    /// run time because the Glibc module does not declare it.
    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private static let closeFrom: CloseFrom? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np")
        .map { unsafeBitCast($0, to: CloseFrom.self) }
}
