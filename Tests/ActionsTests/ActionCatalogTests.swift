import Actions
import Foundation
import TestSupport
import Testing

let catalogPath = TestSchemas.repositoryRoot.appendingPathComponent("examples/actions/catalog.yaml").path

@Suite("Action catalog: validation before anything runs")
struct ActionCatalogTests {
    let catalog = try! ActionCatalog.load(path: catalogPath)

    @Test func theExampleCatalogLoads() {
        #expect(catalog.actions["kubectl.get-pods"]?.risk == .readOnly)
        #expect(catalog.actions["kubectl.rollout-restart"]?.risk == .destructive)
    }

    @Test func argvIsBuiltFromTheTemplateOneArgumentPerElement() throws {
        let p = try catalog.prepare("kubectl.scale", parameters: ["namespace": "payments", "deployment": "payments-api", "replicas": "6"])
        #expect(p.argv == ["kubectl", "scale", "deployment/payments-api", "-n", "payments", "--replicas=6"])
    }

    @Test(arguments: [
        ["namespace": "payments; rm -rf /", "app": "x"],          // shell metacharacters
        ["namespace": "--kubeconfig=/etc/shadow", "app": "x"],     // option injection
        ["namespace": "payments", "app": "x\nkubectl delete ns payments"],
        ["namespace": "Payments", "app": "x"],                     // pattern is anchored and lowercase
        ["namespace": String(repeating: "a", count: 64), "app": "x"],
        ["namespace": "payments"],                                  // missing parameter
        ["namespace": "payments", "app": "x", "selector": "all"],   // unknown parameter
    ])
    func untrustedParametersAreRejected(_ params: [String: String]) {
        #expect(throws: ActionError.self) { try catalog.prepare("kubectl.get-pods", parameters: params) }
    }

    @Test func integersAndEnumsAreChecked() {
        #expect(throws: ActionError.self) {
            try catalog.prepare("kubectl.scale", parameters: ["namespace": "a", "deployment": "b", "replicas": "500"])
        }
        #expect(throws: ActionError.self) {
            try catalog.prepare("kubectl.scale", parameters: ["namespace": "a", "deployment": "b", "replicas": "two"])
        }
        #expect(throws: ActionError.self) {
            try catalog.prepare("kubectl.logs", parameters: ["namespace": "a", "deployment": "b", "since": "100y"])
        }
    }

    @Test func actionsOutsideTheCatalogDoNotExist() {
        do {
            _ = try catalog.prepare("shell.exec", parameters: ["cmd": "kubectl delete ns payments"])
            Issue.record("ran an action outside the catalog")
        } catch let error as ActionError { #expect(error.code == .unknownAction) } catch { Issue.record("\(error)") }
    }

    @Test func httpActionsOnlyReachAllowedHosts() throws {
        let ok = try catalog.prepare("http.health", parameters: ["host": "127.0.0.1", "port": "9095", "path": "healthz"])
        #expect(ok.url?.absoluteString == "http://127.0.0.1:9095/healthz")
        do {
            _ = try catalog.prepare("http.health", parameters: ["host": "169.254.169.254", "port": "80", "path": "healthz"])
            Issue.record("reached a host outside the allow-list")
        } catch let error as ActionError { #expect(error.code == .notAllowed || error.code == .invalidParameter) } catch { Issue.record("\(error)") }
        #expect(throws: ActionError.self) {
            try catalog.prepare("http.health", parameters: ["host": "evil.example", "port": "80", "path": "healthz"])
        }
    }

    @Test(arguments: [
        "actions: [{id: a, description: d, risk: read_only, runner: command, argv: [x], parameters: {}, timeout_seconds: 1, output_limit_bytes: 10}]",
        "actions: [{id: a, description: d, risk: read_only, runner: kubectl, argv: [get, '{ns}'], parameters: {}, timeout_seconds: 1, output_limit_bytes: 10}]",
        "actions: [{id: a, description: d, risk: read_only, runner: kubectl, argv: [get, '{ns}'], parameters: {ns: {type: string}}, timeout_seconds: 1, output_limit_bytes: 10}]",
        "actions: [{id: a, description: d, risk: maybe, runner: kubectl, argv: [get], parameters: {}, timeout_seconds: 1, output_limit_bytes: 10}]",
    ])
    func brokenCatalogsAreRejectedAtLoad(_ yaml: String) {
        #expect(throws: ActionError.self) { try ActionCatalog.load(yaml: yaml) }
    }
}

@Suite("Running actions")
struct ActionExecutorTests {
    func catalog(_ script: String, timeout: Double = 5, limit: Int = 1_000) throws -> ActionCatalog {
        let dir = TestScratch.path("act")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("script.sh").path
        try ("#!/bin/sh\n" + script).write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
        return try ActionCatalog.load(yaml: """
            actions:
              - id: diag
                description: test script
                risk: read_only
                runner: command
                executable: \(path)
                argv: ["{target}"]
                parameters: {target: {type: string, pattern: "[a-zA-Z0-9;$ -]+"}}
                timeout_seconds: \(timeout)
                output_limit_bytes: \(limit)
            """)
    }

    @Test func argvReachesTheProgramWithoutAShell() async throws {
        let c = try catalog(#"printf '%s|' "$@"; echo; echo "args=$#""#)
        // Even if a pattern allowed metacharacters, nothing interprets them.
        let p = try c.prepare("diag", parameters: ["target": "a; echo $HOME"])
        let r = try await ActionExecutor(catalog: c).run(p)
        #expect(r.succeeded)
        #expect(r.output.contains("a; echo $HOME|"))
        #expect(r.output.contains("args=1"))
    }

    @Test func actionsInheritNoDescriptorsButTheirOwn() async throws {
        // The test process holds sockets and files; the action sees stdin, stdout, stderr and its own directory read.
        let held = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/etc/hostname"))
        defer { try? held.close() }
        let c = try catalog("ls /proc/self/fd")
        let r = try await ActionExecutor(catalog: c).run(try c.prepare("diag", parameters: ["target": "x"]))
        let fds = r.output.split(separator: "\n").compactMap { Int($0) }
        #expect(fds.allSatisfy { $0 <= 3 }, "inherited descriptors: \(fds)")
    }

    @Test func outputIsTruncatedAndRedacted() async throws {
        let c = try catalog("echo 'Authorization: Bearer abc.def.ghi'; echo 'password=hunter2'; head -c 5000 /dev/zero | tr '\\\\0' x", limit: 200)
        let r = try await ActionExecutor(catalog: c).run(try c.prepare("diag", parameters: ["target": "x"]))
        #expect(r.truncated)
        #expect(!r.output.contains("abc.def.ghi"))
        #expect(!r.output.contains("hunter2"))
        #expect(r.output.contains("password=[REDACTED]"))
        #expect(r.output.utf8.count <= 260)
    }

    @Test func aTimeoutKillsTheWholeProcessGroup() async throws {
        let pidFile = TestScratch.path("child").path
        // A background child that would outlive its parent: it says who it is, then waits.
        let c = try catalog("sh -c 'echo $$ > \(pidFile); exec sleep 30' & sleep 30", timeout: 0.5)
        let r = try await ActionExecutor(catalog: c).run(try c.prepare("diag", parameters: ["target": "x"]))
        #expect(r.timedOut)
        #expect(!r.succeeded)
        #expect(r.durationMs < 20_000, "stopped at the timeout, not after the 30 s the children would run (a loaded machine is slow to spawn)")
        // On a loaded machine the child may not have started within the timeout: then there is nothing left to kill.
        guard let written = try? String(contentsOfFile: pidFile, encoding: .utf8),
              let pid = Int32(written.trimmingCharacters(in: .whitespacesAndNewlines)) else { return }
        // Gone (or a zombie waiting to be reaped) once the group is killed: the state is read, not slept on.
        func alive() -> Bool {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return false }
            return stat[stat.index(close, offsetBy: 2)] != "Z"
        }
        #expect(!alive(), "the background child was killed with the group")
    }

    @Test func exitStatusIsReported() async throws {
        let c = try catalog("echo failing; exit 3")
        let r = try await ActionExecutor(catalog: c).run(try c.prepare("diag", parameters: ["target": "x"]))
        #expect(r.exitStatus == 3)
        #expect(r.output.contains("failing"))
    }
}
