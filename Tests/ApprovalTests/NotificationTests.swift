import Actions
import Approval
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import DaemonRuntime
import IncidentLog
import Kafka
import NIOCore
import TestSupport
import Testing

let slackSecret = "8f742231b10e8888abcd99yyyzzz85a5"

/// An incident with retrieval, so a proposal has a title and evidence to show.
func incidentWithEvidence(_ handler: ApproverHandler, title: String) -> String {
    let incident = EventIDs.incident(source: "test", parts: [UUID().uuidString])
    let opened = IncidentOpened(source: .alertmanager, groupKey: "g", title: title, severity: "critical", service: "payments-api",
                                receiver: "aiops", externalURL: nil, labels: [:], annotations: [:])
    handler.observe(.derived(incidentID: incident, producer: "alert-ingestor", causationID: "c", step: "opened",
                             trace: .newRoot(), payload: .incidentOpened(opened)))
    let cite = Citation(documentID: "runbooks/payments-restart", title: "Restarting payments-api safely",
                        path: "runbooks/payments-restart.md", kind: "runbook", chunkID: "runbooks/payments-restart#1",
                        headingPath: "Mitigation", lineStart: 20, lineEnd: 30, score: 0.03, vectorRank: 1, textRank: 1,
                        similarity: 0.9, boosts: [])
    let retrieval = RetrievalCompleted(query: "q", found: true, reason: nil, model: "m", postmortems: [], runbooks: [cite],
                                       runbookSections: [])
    handler.observe(.derived(incidentID: incident, producer: "retriever", causationID: "c", step: "retrieval",
                             trace: .newRoot(), payload: .retrievalCompleted(retrieval)))
    return incident
}

func slackForm(user: String, action: String, requestID: String, responseURL: String = "https://hooks.slack.com/actions/T/1/x") -> [UInt8] {
    let payload = #"{"type":"block_actions","user":{"id":"\#(user)","username":"\#(user.lowercased())"},"response_url":"\#(responseURL)","actions":[{"action_id":"\#(action)","value":"\#(requestID)","type":"button"}]}"#
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return Array(("payload=" + payload.addingPercentEncoding(withAllowedCharacters: allowed)!).utf8)
}

@Suite("approver: notifications, Slack callbacks and the approvals page")
struct NotificationTests {
    let directory = ApproverDirectory(entries: [
        .init(name: "alice", tokenSHA256: ApproverDirectory.hash("alice-token"), roles: ["approver"], slackUserID: "U0ALICE"),
        .init(name: "victor", tokenSHA256: ApproverDirectory.hash("viewer-token"), roles: ["viewer"], slackUserID: "U0VICTOR"),
    ])

    @Test func slackSignaturesAreCheckedWithinTheWindowAndNeverTwice() throws {
        let v = SlackSignatureVerifier(signingSecret: slackSecret)
        let body = Array("payload=%7B%7D".utf8)
        let now = Date()
        let ts = String(Int(now.timeIntervalSince1970))
        let good = SlackSignatureVerifier.sign(body: body, timestamp: ts, secret: slackSecret)
        #expect(throws: SlackSignatureVerifier.Failure.missingHeaders) { try v.verify(timestamp: nil, signature: good, body: body) }
        #expect(throws: SlackSignatureVerifier.Failure.badSignature) {
            try v.verify(timestamp: ts, signature: SlackSignatureVerifier.sign(body: body, timestamp: ts, secret: "other"), body: body)
        }
        #expect(throws: SlackSignatureVerifier.Failure.badSignature) {
            try v.verify(timestamp: ts, signature: good, body: body + [0x20])
        }
        let old = String(Int(now.timeIntervalSince1970) - 301)
        #expect(throws: SlackSignatureVerifier.Failure.stale) {
            try v.verify(timestamp: old, signature: SlackSignatureVerifier.sign(body: body, timestamp: old, secret: slackSecret),
                         body: body, now: now)
        }
        #expect(throws: SlackSignatureVerifier.Failure.badTimestamp) { try v.verify(timestamp: "soon", signature: good, body: body) }
        try v.verify(timestamp: ts, signature: good, body: body, now: now)
        #expect(throws: SlackSignatureVerifier.Failure.replayed) { try v.verify(timestamp: ts, signature: good, body: body, now: now) }
        // Slack's published example (api.slack.com/authentication/verifying-requests-from-slack).
        let example = Array("token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c".utf8)
        #expect(SlackSignatureVerifier.sign(body: example, timestamp: "1531420618", secret: slackSecret)
                == "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503")
    }

    @Test func slackButtonsDecideOnlyForConfiguredApproversWithValidSignatures() async throws {
        let topics = try TestKafka.topics()
        let producer = try TestKafka.producer()
        let handler = try approver()
        let incident = incidentWithEvidence(handler, title: "PaymentsAPIHighLatency")
        let p = proposal("kubectl.rollout-restart", ["namespace": "payments", "deployment": "payments-api"], incident: incident)
        #expect(handler.react(to: p).map(\.type) == ["ApprovalRequested"])
        let slackAPI = try await TestHTTPServer()
        let app = buildApproverApplication(handler: handler, directory: directory, producer: producer, topics: topics,
                                           host: "127.0.0.1", port: 0, slack: SlackSignatureVerifier(signingSecret: slackSecret),
                                           slackResponsePrefix: slackAPI.baseURL + "/actions/", logger: TestKafka.logger)
        @Sendable func headers(_ body: [UInt8], age: Int = 0, secret: String = slackSecret) -> HTTPFields {
            let ts = String(Int(Date().timeIntervalSince1970) - age)
            return [.contentType: "application/x-www-form-urlencoded",
                    HTTPField.Name("X-Slack-Request-Timestamp")!: ts,
                    HTTPField.Name("X-Slack-Signature")!: SlackSignatureVerifier.sign(body: body, timestamp: ts, secret: secret)]
        }
        let approve = slackForm(user: "U0ALICE", action: "aiops_approve", requestID: p.eventID,
                                responseURL: slackAPI.baseURL + "/actions/T1/42/abc")
        try await app.test(.router) { client in
            try await client.execute(uri: "/slack/interactions", method: .post, body: ByteBuffer(bytes: approve)) { r in
                #expect(r.status == .unauthorized, "no signature")
            }
            try await client.execute(uri: "/slack/interactions", method: .post, headers: headers(approve, secret: "forged"),
                                     body: ByteBuffer(bytes: approve)) { r in #expect(r.status == .unauthorized) }
            try await client.execute(uri: "/slack/interactions", method: .post, headers: headers(approve, age: 400),
                                     body: ByteBuffer(bytes: approve)) { r in
                #expect(r.status == .unauthorized)
                #expect(String(buffer: r.body).contains("5-minute window"))
            }
            let viewer = slackForm(user: "U0VICTOR", action: "aiops_approve", requestID: p.eventID)
            try await client.execute(uri: "/slack/interactions", method: .post, headers: headers(viewer),
                                     body: ByteBuffer(bytes: viewer)) { r in #expect(r.status == .forbidden) }
            let stranger = slackForm(user: "U0MALLORY", action: "aiops_approve", requestID: p.eventID)
            try await client.execute(uri: "/slack/interactions", method: .post, headers: headers(stranger),
                                     body: ByteBuffer(bytes: stranger)) { r in #expect(r.status == .forbidden) }
            #expect(handler.pending(p.eventID) != nil, "nothing decided yet")
            let signed = headers(approve)
            try await client.execute(uri: "/slack/interactions", method: .post, headers: signed,
                                     body: ByteBuffer(bytes: approve)) { r in
                #expect(r.status == .ok)
                #expect(String(buffer: r.body).contains("Approved by alice"))
            }
            try await client.execute(uri: "/slack/interactions", method: .post, headers: signed,
                                     body: ByteBuffer(bytes: approve)) { r in #expect(r.status == .conflict, "replay refused") }
        }
        // The message in Slack is replaced by the decision.
        for _ in 0..<50 where slackAPI.requests.isEmpty { try await Task.sleep(for: .milliseconds(100)) }
        let replaced = try #require(slackAPI.requests.first)
        #expect(replaced.path == "/actions/T1/42/abc")
        let body = try JSONDecoder().decode(JSONValue.self, from: Data(replaced.body))
        #expect(body["replace_original"] == .bool(true))
        #expect(body["text"]?.stringValue?.hasPrefix("Approved by alice") == true)
        #expect(slackAPI.requests.count == 1, "refused callbacks change nothing in Slack")
        let log = try await TestKafka.readAll(topics.incidents)
        #expect(log.count == 1)
        let event = try IncidentEventCodec.decode(try #require(log.first))
        guard case .actionApproved(let a) = event.payload else { Issue.record("not ActionApproved"); return }
        #expect(a.approver == Approver(name: "alice", kind: .human))
        #expect(a.reason == "approved in Slack by u0alice")
        #expect(a.hasValidSignature(incidentID: incident, keyring: TestKeys.keyring))
        await producer.close()
    }

    @Test func theApprovalsPageAndListingShowIncidentRationaleAndEvidence() async throws {
        let handler = try approver()
        let incident = incidentWithEvidence(handler, title: "PaymentsAPIHighLatency")
        let p = proposal("kubectl.rollout-restart", ["namespace": "payments", "deployment": "payments-api"], incident: incident)
        _ = handler.react(to: p)
        let app = buildApproverApplication(handler: handler, directory: directory, producer: try TestKafka.producer(),
                                           topics: try TestKafka.topics(), host: "127.0.0.1", port: 0, logger: TestKafka.logger)
        try await app.test(.router) { client in
            try await client.execute(uri: "/approvals", method: .get) { r in
                #expect(r.status == .ok)
                #expect(r.headers[.contentType]?.hasPrefix("text/html") == true)
                #expect(r.headers[HTTPField.Name("Content-Security-Policy")!]?.contains("default-src 'self'") == true)
                #expect(String(buffer: r.body).contains("/approvals.js"))
            }
            try await client.execute(uri: "/approvals.js", method: .get) { r in
                #expect(r.status == .ok)
                #expect(!String(buffer: r.body).contains("innerHTML"), "untrusted text is only set as textContent")
            }
            try await client.execute(uri: "/api/v1/approvals", method: .get, headers: [.authorization: "Bearer viewer-token"]) { r in
                let rows = try JSONDecoder().decode(JSONValue.self, from: Data(buffer: r.body))
                guard case .array(let list) = rows, let row = list.first else { Issue.record("no rows"); return }
                #expect(row["title"]?.stringValue == "PaymentsAPIHighLatency")
                #expect(row["rationale"]?.stringValue == "runbook says so")
                #expect(row["evidence"]?.stringValue == nil)
                guard case .array(let evidence)? = row["evidence"] else { Issue.record("no evidence"); return }
                #expect(evidence.first?["title"]?.stringValue == "Restarting payments-api safely")
                #expect(evidence.first?["section"]?.stringValue == "Mitigation")
            }
        }
    }

    @Test func approvalRequestsAndEscalationsReachSlackAndTheWebhookWithUntrustedTextDefused() async throws {
        let receiver = try await TestHTTPServer { index, received in
            // The webhook fails once: it is retried.
            received.path == "/hook" && index == 1 ? (503, Array("busy".utf8)) : (200, Array("ok".utf8))
        }
        let handler = try approver()
        let incident = incidentWithEvidence(handler, title: "<!channel> <https://evil.example|click> & panic")
        let p = proposal("kubectl.rollout-restart", ["namespace": "payments", "deployment": "payments-api"], incident: incident,
                         rationale: "restart <@U0ALICE> now")
        let requested = try #require(handler.react(to: p).first)
        handler.observe(requested) // our own event, back from the log
        #expect(handler.pending(p.eventID)?.evidence.count == 1, "coming back from the log keeps the evidence")
        var config = NotificationConfiguration()
        config.slackWebhookURL = receiver.baseURL + "/slack"
        config.webhookURL = receiver.baseURL + "/hook"
        config.webhookToken = "hook-secret"
        config.publicURL = "https://aiops.example.com"
        let notifications = NotificationHandler(approver: handler, notifier: try Notifier(configuration: config, logger: TestKafka.logger))
        let notice = try #require(notifications.notice(for: requested))
        await notifications.notifier.send(notice)

        let got = receiver.requests
        #expect(got.map(\.path) == ["/slack", "/hook", "/hook"])
        let slack = got[0].text
        #expect(slack.contains("&lt;!channel&gt;") && !slack.contains("<!channel>"), "no mass mention from an alert title")
        #expect(!slack.contains("<https://evil.example"), "no forged link")
        #expect(!slack.contains("<@U0ALICE>"))
        #expect(slack.contains("aiops_approve") && slack.contains("aiops_reject") && slack.contains(p.eventID))
        #expect(slack.contains("https://aiops.example.com/approvals#\(p.eventID)"))
        let hook = try JSONDecoder().decode(JSONValue.self, from: Data(got[2].body))
        #expect(got[2].headers["authorization"] == "Bearer hook-secret")
        #expect(hook["type"]?.stringValue == "approval_requested")
        #expect(hook["request_id"]?.stringValue == p.eventID)
        #expect(hook["approve_url"]?.stringValue == "https://aiops.example.com/api/v1/approvals/\(p.eventID)/approve")
        #expect(hook["parameters"]?["deployment"]?.stringValue == "payments-api")
        guard case .array(let evidence)? = hook["evidence"] else { Issue.record("no evidence"); return }
        #expect(evidence.first?["chunk_id"]?.stringValue == "runbooks/payments-restart#1")

        // Decided meanwhile: nothing to ask anymore. Escalations are told; old ones are history.
        _ = try handler.decide(requestID: p.eventID, approver: "alice", approve: false, reason: "not now")
        #expect(notifications.notice(for: requested) == nil)
        let escalated = IncidentEvent.derived(incidentID: incident, producer: "reasoner", causationID: "x", step: "escalate",
                                              trace: .newRoot(), payload: .incidentEscalated(IncidentEscalated(reason: "iteration bound (10) reached", summary: "s")))
        guard case .escalated(_, let title, _)? = notifications.notice(for: escalated) else { Issue.record("no escalation"); return }
        #expect(title.hasPrefix("<!channel>"))
        #expect(notifications.notice(for: escalated, now: Date().addingTimeInterval(7_200)) == nil)
    }
}

extension Notice: Equatable {
    public static func == (a: Notice, b: Notice) -> Bool { "\(a)" == "\(b)" }
}
