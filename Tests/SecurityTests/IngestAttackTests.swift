@testable import Approval
import BoundedYAML
import DaemonRuntime
import Foundation
import HTTPClient
import IncidentLog
import OperatorCLI
import TestSupport
import Testing

/// Attacks through alert-ingestor's front door, against the real binary (so its
/// memory is its own): YAML bombs, oversized fields, and alert text built to
/// take over an operator's terminal or disguise itself on a page.
@Suite("attacks through the webhook and IncidentReports (real alert-ingestor process)", .serialized)
struct IngestAttackTests {
    static let repo = TestSchemas.repositoryRoot
    static let binary = repo.appendingPathComponent(".build/debug/alert-ingestor").path

    /// A ~650-byte IncidentReport whose merge keys expand to 10^8 pairs.
    static let mergeBomb: String = {
        var lines = ["apiVersion: aiops.dev/v1alpha1", "kind: IncidentReport", "metadata: {name: bomb}",
                     "spec:", "  summary: s", "  severity: high", "  labels:",
                     "    l0: &l0 {a: x, b: x, c: x, d: x, e: x, f: x, g: x, h: x, i: x, j: x}"]
        for i in 1...8 {
            lines.append("    l\(i): &l\(i) {<<: [" + Array(repeating: "*l\(i - 1)", count: 10).joined(separator: ", ") + "]}")
        }
        return lines.joined(separator: "\n") + "\n"
    }()

    final class Ingestor: Sendable {
        let process: Process
        let url: String
        init() async throws {
            let topics = try TestKafka.topics()
            let port = try freeLoopbackPort()
            process = Process()
            process.executableURL = URL(fileURLWithPath: IngestAttackTests.binary)
            process.environment = ["KAFKA_BROKERS": TestKafka.shared.bootstrapServers, "AIOPS_TOPIC_PREFIX": topics.prefix,
                                   "INGESTOR_PORT": String(port), "LOG_LEVEL": "error", "PATH": "/usr/bin:/bin"]
                .merging(TestKeys.environment("alert-ingestor")) { _, b in b }
            process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
            try process.run()
            url = "http://127.0.0.1:\(port)"
            try await waitUntilReady(url + "/readyz")
        }
        /// Peak resident memory so far, in MB.
        var peakRSSMB: Double {
            let status = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)) ?? ""
            let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
            return Double(line.split(separator: " ").dropFirst().first ?? "0").map { $0 / 1024 } ?? 0
        }
        func stop() { process.terminate(); process.waitUntilExit() }
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: binary)))
    func yamlBombsAndDeepNestingAre400sFastAndSmall() async throws {
        #expect(Self.mergeBomb.utf8.count < 800)
        let ingestor = try await Ingestor()
        defer { ingestor.stop() }
        let http = try HTTPClient()
        let deep = "apiVersion: aiops.dev/v1alpha1\nkind: IncidentReport\nmetadata: {name: deep}\nspec: {summary: "
            + String(repeating: "[", count: 50_000) + String(repeating: "]", count: 50_000) + ", severity: high}\n"
        let blockDeep = (0..<2_000).map { String(repeating: "  ", count: $0) + "k\($0):" }.joined(separator: "\n") + " x\n"
        // A first request warms the connection and the process (a debug build, next to other tests).
        _ = try await http.request("POST", ingestor.url + "/api/v1/incidentreports", headers: ["Content-Type": "application/yaml"],
                                   body: Array("kind: nothing\n".utf8))
        for (name, body) in [("merge bomb", Self.mergeBomb), ("flow nesting", deep), ("block nesting", blockDeep)] {
            var elapsed = Duration.seconds(60)
            var r: HTTPClientResponse?
            for _ in 0..<3 {  // the best of three: the bound is on the work, not on a noisy machine's scheduling
                let start = ContinuousClock.now
                r = try await http.request("POST", ingestor.url + "/api/v1/incidentreports",
                                           headers: ["Content-Type": "application/yaml"], body: Array(body.utf8))
                elapsed = min(elapsed, ContinuousClock.now - start)
            }
            let answer = try #require(r)
            #expect(answer.status == 400, "\(name): \(answer.text)")
            let error = try JSONDecoder().decode(ErrorEnvelope.self, from: Data(answer.body)).error
            #expect(error.message.contains("limit"), "\(name): the answer names the limit: \(error.message)")
            // Unbounded, these take seconds and gigabytes; the bound leaves room for a loaded CI machine.
            #expect(elapsed < .milliseconds(500), "\(name) answered in \(elapsed)")
        }
        // JSON nested past any webhook's shape, in a field and at the top: a 400 naming the body, not a deep recursion.
        for (name, body) in [("json nesting in a field", "{\"version\": \"4\", \"alerts\": " + String(repeating: "[", count: 100_000)
                                + String(repeating: "]", count: 100_000) + "}"),
                             ("json nesting", String(repeating: "{\"a\": ", count: 50_000) + "1" + String(repeating: "}", count: 50_000))] {
            var elapsed = Duration.seconds(60)
            for _ in 0..<3 {  // the best of three, as above
                let start = ContinuousClock.now
                let answer = try await http.request("POST", ingestor.url + "/api/v1/alerts", headers: ["Content-Type": "application/json"],
                                                    body: Array(body.utf8))
                elapsed = min(elapsed, ContinuousClock.now - start)
                #expect(answer.status == 400, "\(name): \(answer.text)")
            }
            #expect(elapsed < .milliseconds(500), "\(name) answered in \(elapsed)")
        }
        #expect(ingestor.peakRSSMB < 100, "peak RSS \(ingestor.peakRSSMB) MB")
        // Still serving.
        #expect(try await http.request("GET", ingestor.url + "/healthz").status == 200)
    }

    @Test func theBoundedParserRefusesAliasesInUntrustedTextAndCountsExpansionInConfiguration() throws {
        struct Any_: Decodable {}
        #expect(throws: YAMLLimitError.self) { try BoundedYAML.decode(Any_.self, from: Self.mergeBomb, limits: .untrusted) }
        #expect(throws: YAMLLimitError.self) { try BoundedYAML.decode(Any_.self, from: Self.mergeBomb, limits: .configuration) }
        #expect(throws: YAMLLimitError.self) {
            try BoundedYAML.decode(Any_.self, from: "a: " + String(repeating: "- ", count: 100) + "x\n", limits: .configuration)
        }
        // Ordinary documents, anchors in configuration included, decode.
        struct Doc: Decodable { var a: [String: Int]; var b: [String: Int] }
        let ok = try BoundedYAML.decode(Doc.self, from: "a: &x {k: 1}\nb: {<<: *x, j: 2}\n", limits: .configuration)
        #expect(ok.b == ["k": 1, "j": 2])
        #expect(throws: YAMLLimitError.self) { try BoundedYAML.decode(Doc.self, from: "a: &x {k: 1}\nb: *x\n", limits: .untrusted) }
        // Quoted text and comments that merely contain & * [ are not structure.
        struct Text: Decodable { var s: String; var t: String }
        let t = try BoundedYAML.decode(Text.self, from: "s: \"&a *b [[[[\" # *c & [[[\nt: 'x & y'\n", limits: .untrusted)
        #expect(t.s == "&a *b [[[[")
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: binary)))
    func oversizedFieldsAre400sNamingTheField() async throws {
        let ingestor = try await Ingestor()
        defer { ingestor.stop() }
        func webhook(labels: [String: String], annotations: [String: String] = [:]) throws -> [UInt8] {
            let alert: [String: Any] = ["status": "firing", "labels": labels, "annotations": annotations,
                                        "startsAt": "2026-11-27T10:00:00Z", "endsAt": "0001-01-01T00:00:00Z", "fingerprint": "f1"]
            return Array(try JSONSerialization.data(withJSONObject: [
                "version": "4", "groupKey": "g", "status": "firing", "receiver": "aiops", "groupLabels": [:] as [String: String],
                "commonLabels": [:] as [String: String], "commonAnnotations": [:] as [String: String], "externalURL": "http://am",
                "alerts": [alert]] as [String: Any]))
        }
        let http = try HTTPClient()
        let big = try await http.request("POST", ingestor.url + "/api/v1/alerts", headers: ["Content-Type": "application/json"],
                                         body: try webhook(labels: ["alertname": "A", "huge": String(repeating: "x", count: 3_000_000)]))
        #expect(big.status == 400)
        #expect(try JSONDecoder().decode(ErrorEnvelope.self, from: Data(big.body)).error.field == "alerts[0].labels.huge")
        let many = try await http.request("POST", ingestor.url + "/api/v1/alerts", headers: ["Content-Type": "application/json"],
                                          body: try webhook(labels: Dictionary(uniqueKeysWithValues: (0..<100).map { ("l\($0)", "v") })))
        #expect(many.status == 400)
        #expect(try JSONDecoder().decode(ErrorEnvelope.self, from: Data(many.body)).error.field == "alerts[0].labels")
    }

    /// An alert named to take over a terminal and disguise itself: accepted, and shown neutralized
    /// by `aiops replay`, in the Slack message and by the approvals page's script.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: binary)))
    func hostileAlertTextIsShownNeutralized() async throws {
        let hostile = "X\u{0}\u{1b}[31mY\u{202e}gnp.exe\u{200b}"
        let ingestor = try await Ingestor()
        defer { ingestor.stop() }
        let topics = TopicSet(prefix: ingestor.process.environment!["AIOPS_TOPIC_PREFIX"]!)
        let body: [String: Any] = [
            "version": "4", "groupKey": "hostile", "status": "firing", "receiver": "aiops", "externalURL": "http://am",
            "groupLabels": [:] as [String: String], "commonLabels": [:] as [String: String],
            "commonAnnotations": [:] as [String: String],
            "alerts": [["status": "firing", "labels": ["alertname": hostile], "annotations": ["summary": hostile],
                        "startsAt": "2026-11-27T10:00:00Z", "endsAt": "0001-01-01T00:00:00Z", "fingerprint": "h1"]]]
        let r = try await HTTPClient().request("POST", ingestor.url + "/api/v1/alerts", headers: ["Content-Type": "application/json"],
                                               body: Array(try JSONSerialization.data(withJSONObject: body)))
        #expect(r.status == 200)
        let incident = try #require(try await TestKafka.waitForEvents(topics) { !$0.isEmpty }.first?.incidentID)

        // The CLI, run as a person would.
        let replay = Process()
        replay.executableURL = Self.repo.appendingPathComponent(".build/debug/aiops")
        replay.arguments = ["replay", incident]
        replay.environment = ["KAFKA_BROKERS": TestKafka.shared.bootstrapServers, "AIOPS_TOPIC_PREFIX": topics.prefix]
            .merging(TestKeys.environment("corpus-sync")) { _, b in b }
        let out = Pipe()
        replay.standardOutput = out
        try replay.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        replay.waitUntilExit()
        #expect(text.contains("IncidentOpened"))
        #expect(text.contains("X\\x00\\x1b[31mY<U+202E>gnp.exe<U+200B>"), "\(text)")
        #expect(!text.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" }, "no control character reaches the terminal")
        #expect(!text.unicodeScalars.contains { $0.value == 0x202e || $0.value == 0x200b })

        // Slack: shown, then escaped.
        let slack = Notifier.escape(hostile)
        #expect(slack == "X\\x00\\x1b[31mY&lt;U+202E&gt;gnp.exe&lt;U+200B&gt;")
        #expect(Terminal.safe(hostile) == "X\\x00\\x1b[31mY<U+202E>gnp.exe<U+200B>")

        // The approvals page: its own script's `shown` run where a JavaScript engine is at hand.
        if let node = findExecutable(["node", "nodejs"]) {
            let script = ApprovalsPage.common
            let start = try #require(script.range(of: "function shown(value) {"))
            let end = try #require(script.range(of: "function text(", range: start.upperBound..<script.endIndex))
            let function = String(script[start.lowerBound..<end.lowerBound])
            let run = Process()
            run.executableURL = URL(fileURLWithPath: node)
            let arg = String(decoding: try JSONEncoder().encode([hostile]), as: UTF8.self)
            run.arguments = ["-e", function + "\nprocess.stdout.write(shown(JSON.parse(process.argv[1])[0]))", arg]
            let pipe = Pipe()
            run.standardOutput = pipe
            try run.run()
            let shown = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            run.waitUntilExit()
            #expect(shown == "X\\x00\\x1b[31mY<U+202E>gnp.exe<U+200B>", "the page shows \(shown)")
        }
    }
}
