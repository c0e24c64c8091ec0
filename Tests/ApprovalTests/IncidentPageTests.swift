import Approval
import Foundation
import Hummingbird
import HummingbirdTesting
import IncidentLog
import Kafka
import TestSupport
import Testing

/// The incident page used as a person would, in headless Chromium (Debian's
/// `chromium`; scripts/bootstrap.sh installs it): sign in with a token, open
/// the incident from the list, read the triage with its cited section text,
/// what the diagnostic printed and the action waiting, then say "wrong cause"
/// with a note — which lands on the log as a TriageFeedback by that person.
@Suite("incident page in headless Chromium")
struct IncidentPageTests {
    static let hostileTitle = "<img src=x onerror=alert(1)> orders-db pool exhausted"

    /// An incident as the log would hold it: opened, evidence retrieved, a diagnostic approved by policy that
    /// ran and printed something, a triage citing a section, a destructive step waiting for a human.
    static func seed(_ handler: ApproverHandler) throws -> String {
        let incident = EventIDs.incident(source: "page", parts: [UUID().uuidString])
        func log(_ producer: String, _ step: String, _ payload: IncidentEventPayload) -> IncidentEvent {
            let e = IncidentEvent.derived(incidentID: incident, producer: producer, causationID: "c-\(step)", step: step,
                                          trace: .newRoot(), payload: payload)
            handler.observe(e)
            return e
        }
        _ = log("alert-ingestor", "opened", .incidentOpened(IncidentOpened(
            source: .alertmanager, groupKey: "g", title: hostileTitle, severity: "critical", service: "orders-api",
            receiver: "aiops", externalURL: nil, labels: ["alertname": "PostgresTooManyConnections"], annotations: [:])))
        let section = Citation(documentID: "runbooks/postgres-connections", title: "PostgreSQL connection exhaustion",
                               path: "runbooks/postgres-connections.md", kind: "runbook", chunkID: "runbooks/postgres-connections#2",
                               headingPath: "Diagnosis", lineStart: 12, lineEnd: 20, score: 1, vectorRank: 1, textRank: 1,
                               similarity: 0.9, boosts: [], text: "Compare pg_stat_activity by application_name with the pool size.")
        _ = log("retriever", "retrieve", .retrievalCompleted(RetrievalCompleted(
            query: "q", found: true, reason: nil, model: "m", postmortems: [], runbooks: [section], runbookSections: [])))
        let diagnostic = log("reasoner", "propose-1", .actionProposed(ActionProposed(
            action: "kubectl.get-pods", parameters: ["namespace": "orders", "app": "orders-api"], rationale: "look first",
            citations: [section.chunkID])))
        for e in handler.react(to: diagnostic) { handler.observe(e) }
        _ = log("executor", "executed-1", .actionExecuted(ActionExecuted(
            requestID: diagnostic.eventID, action: "kubectl.get-pods", exitStatus: 0, durationMs: 40,
            output: "orders-api-7d9 0/1 CrashLoopBackOff 14", truncated: false, timedOut: false)))
        _ = log("reasoner", "triage", .triageProposed(TriageProposed(
            steps: [.init(text: "Check the pool size against max_connections", citations: [section.chunkID])],
            likelyCause: .init(text: "connection pool exhausted after the scale-up", confidence: 0.7, citations: [section.chunkID]),
            runbook: "runbooks/postgres-connections", unknowns: [], rejectedSteps: [], observations: [])))
        let restart = log("reasoner", "propose-2", .actionProposed(ActionProposed(
            action: "kubectl.rollout-restart", parameters: ["namespace": "orders", "deployment": "orders-api"],
            rationale: "runbook mitigation", citations: [section.chunkID])))
        for e in handler.react(to: restart) { handler.observe(e) }
        return incident
    }

    func strings(_ v: JSONValue?) -> [String] {
        if case .array(let a)? = v { return a.compactMap(\.stringValue) }
        return []
    }

    @Test func anOnCallReadsTheTriageAndSaysWrongCause() async throws {
        let chromium = ["/usr/bin/chromium", "/usr/lib/chromium/chromium"].first { FileManager.default.isExecutableFile(atPath: $0) }
        let python = root.appendingPathComponent(".venv/bin/python").path
        try #require(chromium != nil, "needs Debian's chromium (scripts/bootstrap.sh installs it)")
        try #require(FileManager.default.isExecutableFile(atPath: python), "needs .venv with websocket-client (scripts/bootstrap.sh)")
        let topics = try TestKafka.topics()
        let handler = try approver()
        let incident = try Self.seed(handler)
        let directory = ApproverDirectory(entries: [
            .init(name: "alice", tokenSHA256: ApproverDirectory.hash("alice-page-token"), roles: ["approver"], slackUserID: nil),
        ])
        let app = buildApproverApplication(handler: handler, directory: directory, producer: try TestKafka.producer(), topics: topics,
                                           host: "127.0.0.1", port: 0, logger: TestKafka.logger)
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let browse = Process()
            browse.executableURL = URL(fileURLWithPath: python)
            browse.arguments = [root.appendingPathComponent("scripts/browse-incident-page.py").path, "http://127.0.0.1:\(port)",
                                "alice-page-token", incident, "pool was fine; a deploy leaked connections"]
            let out = Pipe()
            let err = Pipe()
            browse.standardOutput = out
            browse.standardError = err
            try browse.run()
            // Off the cooperative pool: blocking reads there would starve every other test's tasks.
            let (printed, errBytes) = await withCheckedContinuation { (c: CheckedContinuation<(Data, Data), Never>) in
                Thread.detachNewThread {
                    let o = out.fileHandleForReading.readDataToEndOfFile()
                    let e = err.fileHandleForReading.readDataToEndOfFile()
                    browse.waitUntilExit()
                    c.resume(returning: (o, e))
                }
            }
            let complaint = String(decoding: errBytes, as: UTF8.self)
            try #require(browse.terminationStatus == 0, "the browser session failed: \(complaint)")
            let seen = try JSONDecoder().decode(JSONValue.self, from: printed)
            #expect(seen["title"]?.stringValue == Self.hostileTitle, "the alert's title is shown as text")
            #expect(seen["elements_from_text"] == .number(0), "no element was made from untrusted text")
            #expect(seen["cause"]?.stringValue?.contains("connection pool exhausted after the scale-up") == true)
            #expect(strings(seen["sections"]).contains { $0.contains("pg_stat_activity by application_name") },
                    "each citation shows its section's text")
            #expect(strings(seen["outputs"]).contains { $0.contains("CrashLoopBackOff") },
                    "what the diagnostic printed")
            #expect(strings(seen["waiting"]).contains { $0.contains("kubectl.rollout-restart") })
            #expect(seen["confirmation"]?.stringValue?.contains("alice") == true)
            #expect(strings(seen["said"]).first?.contains("wrong_cause") == true)
        }
        // What the click wrote: one TriageFeedback on the log, by the person who signed in.
        let records = try await TestKafka.read(topics.incidents, count: 1)
        let event = try IncidentEventCodec.decode(try #require(records.first))
        guard case .triageFeedback(let f) = event.payload else { Issue.record("not a TriageFeedback: \(event.type)"); return }
        #expect(event.incidentID == incident && f.verdict == .wrongCause && f.by == Approver(name: "alice", kind: .human))
        #expect(f.note == "pool was fine; a deploy leaked connections")
    }
}
