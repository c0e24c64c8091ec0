import Foundation
import TestSupport
import Testing

/// The test processes' scratch directories: what a dead test process left is swept, a live one's is kept.
@Suite("test scratch directories")
struct TestScratchTests {
    @Test func aDeadProcessesDirectoryIsSweptAndALiveOnesIsKept() throws {
        let gone = Process()
        gone.executableURL = URL(fileURLWithPath: "/bin/true")
        try gone.run()
        gone.waitUntilExit()
        let dead = "/tmp/aiops-test-\(gone.processIdentifier)"
        let oldStyle = "/tmp/aiops-test-pg-\(gone.processIdentifier)"
        for dir in [dead + "/pg/data", oldStyle + "/data"] {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }
        let mine = TestScratch.directory("kept")
        TestScratch.sweep()
        #expect(!FileManager.default.fileExists(atPath: dead), "a dead process's scratch directory is removed")
        #expect(!FileManager.default.fileExists(atPath: oldStyle), "and the older per-process PostgreSQL directory")
        #expect(FileManager.default.fileExists(atPath: mine.path), "this process's own is kept")
        #expect(mine.path.hasPrefix("/tmp/aiops-test-\(getpid())/"))
    }
}
