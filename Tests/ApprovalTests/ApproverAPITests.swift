import Actions
import Approval
import Crypto
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

@Suite("approver HTTP API")
struct ApproverAPITests {
    let directory = ApproverDirectory(entries: [
        .init(name: "alice", tokenSHA256: ApproverDirectory.hash("alice-token"), roles: ["approver"]),
        .init(name: "victor", tokenSHA256: ApproverDirectory.hash("viewer-token"), roles: ["viewer"]),
    ])

    @Test func humansApproveWithTokensAndTheirNameIsSignedIntoTheEvent() async throws {
        let topics = try TestKafka.topics()
        let producer = try TestKafka.producer()
        let handler = try approver()
        let p = proposal("kubectl.rollout-restart", ["namespace": "payments", "deployment": "payments-api"])
        _ = handler.react(to: p)
        let app = buildApproverApplication(handler: handler, directory: directory, producer: producer, topics: topics,
                                           host: "127.0.0.1", port: 0, logger: TestKafka.logger)
        let body = ByteBuffer(string: #"{"reason":"pods wedged; restart per runbook"}"#)
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/v1/approvals", method: .get) { r in #expect(r.status == .unauthorized) }
            try await client.execute(uri: "/api/v1/approvals", method: .get,
                                     headers: [.authorization: "Bearer wrong"]) { r in #expect(r.status == .unauthorized) }
            try await client.execute(uri: "/api/v1/approvals", method: .get,
                                     headers: [.authorization: "Bearer viewer-token"]) { r in
                #expect(r.status == .ok)
                #expect(String(buffer: r.body).contains(p.eventID))
                #expect(String(buffer: r.body).contains("kubectl.rollout-restart"))
            }
            try await client.execute(uri: "/api/v1/approvals/\(p.eventID)/approve", method: .post,
                                     headers: [.authorization: "Bearer viewer-token"], body: body) { r in
                #expect(r.status == .forbidden)
            }
            try await client.execute(uri: "/api/v1/approvals/\(p.eventID)/approve", method: .post,
                                     headers: [.authorization: "Bearer alice-token"], body: ByteBuffer(string: "{}")) { r in
                #expect(r.status == .badRequest)
            }
            try await client.execute(uri: "/api/v1/approvals/nope/approve", method: .post,
                                     headers: [.authorization: "Bearer alice-token"], body: body) { r in
                #expect(r.status == .notFound)
            }
            try await client.execute(uri: "/api/v1/approvals/\(p.eventID)/approve", method: .post,
                                     headers: [.authorization: "Bearer alice-token"], body: body) { r in
                #expect(r.status == .ok)
            }
        }
        let log = try await TestKafka.readAll(topics.incidents)
        let event = try IncidentEventCodec.decode(try #require(log.first))
        guard case .actionApproved(let a) = event.payload else { Issue.record("not ActionApproved"); return }
        #expect(a.approver == Approver(name: "alice", kind: .human))
        #expect(a.hasValidSignature(incidentID: p.incidentID, keyring: TestKeys.keyring))
        #expect(TestSchemas.violations(ofIncidentRecord: log[0]) == [])
        await producer.close()
    }

    @Test func peopleDecidingSeeTheTriageItsCauseAndTheHypothesesWeighed() async throws {
        let handler = try approver()
        let incident = "inc-00000000000000000001"
        var t = TriageProposed(steps: [], likelyCause: .init(text: "Pool exhausted after a scale-up", confidence: 0.8, citations: []),
                               runbook: nil, unknowns: [], rejectedSteps: [], observations: [])
        t.chosenBecause = "the diagnostics showed 48 pending threads"
        t.hypotheses = [Hypothesis(cause: "postmortems/pool", title: "Pool exhausted", status: .supported, score: 6,
                                   evidenceFor: ["pending threads"], evidenceAgainst: [], citations: [], observations: []),
                        Hypothesis(cause: "postmortems/leak", title: "Connections <@U123> leaked", status: .refuted, score: 0,
                                   evidenceFor: [], evidenceAgainst: ["no idle sessions"], citations: [], observations: [])]
        handler.observe(.derived(incidentID: incident, producer: "reasoner", causationID: "c", step: "triage", trace: .newRoot(),
                                 payload: .triageProposed(t)))
        let p = proposal("kubectl.rollout-restart", ["namespace": "payments", "deployment": "payments-api"], incident: incident)
        for e in handler.react(to: p) { handler.observe(e) }
        let pending = try #require(handler.pending(p.eventID))
        #expect(pending.triage?.hypotheses.count == 2)

        let slack = "\(Notifier.slackMessage(.approvalRequested(pending), publicURL: "https://aiops.example"))"
        #expect(slack.contains("Likely cause") && slack.contains("Pool exhausted after a scale-up") && slack.contains("supported (6"))
        #expect(!slack.contains("<@U123>"), "untrusted titles cannot mention anyone")
        let app = buildApproverApplication(handler: handler, directory: directory, producer: try TestKafka.producer(),
                                           topics: try TestKafka.topics(), host: "127.0.0.1", port: 0, logger: TestKafka.logger)
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/v1/approvals", method: .get, headers: [.authorization: "Bearer viewer-token"]) { r in
                let body = String(buffer: r.body)
                #expect(body.contains("\"chosen_because\":\"the diagnostics showed 48 pending threads\""), "\(body)")
                #expect(body.contains("\"status\":\"refuted\""))
            }
            // The incident list says it was triaged and that one decision is waiting.
            try await client.execute(uri: "/api/v1/incidents", method: .get, headers: [.authorization: "Bearer viewer-token"]) { r in
                let body = String(buffer: r.body)
                #expect(body.contains("\"triaged\":true") && body.contains("\"approvals_waiting\":1"), "\(body)")
            }
        }
    }

    @Test func peopleSayWhetherATriageWasRightAndItIsOnTheLogUnderTheirName() async throws {
        let topics = try TestKafka.topics()
        let producer = try TestKafka.producer()
        let handler = try approver()
        let incident = "inc-00000000000000000042"
        let triage = IncidentEvent.derived(incidentID: incident, producer: "reasoner", causationID: "c", step: "triage", trace: .newRoot(),
                                           payload: .triageProposed(TriageProposed(steps: [], likelyCause: nil, runbook: nil, unknowns: [],
                                                                                   rejectedSteps: [], observations: [])))
        handler.observe(triage)
        let app = buildApproverApplication(handler: handler, directory: directory, producer: producer, topics: topics,
                                           host: "127.0.0.1", port: 0, logger: TestKafka.logger)
        let body = ByteBuffer(string: #"{"verdict":"wrong-cause","right_cause":"postmortems/2025-02-20-payments-db-pool-leak","note":"leak, not sizing"}"#)
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/v1/incidents/\(incident)/feedback", method: .post, body: body) { r in
                #expect(r.status == .unauthorized)
            }
            try await client.execute(uri: "/api/v1/incidents/\(incident)/feedback", method: .post,
                                     headers: [.authorization: "Bearer viewer-token"], body: ByteBuffer(string: #"{"verdict":"meh"}"#)) { r in
                #expect(r.status == .badRequest)
            }
            try await client.execute(uri: "/api/v1/incidents/inc-00000000000000000099/feedback", method: .post,
                                     headers: [.authorization: "Bearer viewer-token"], body: body) { r in
                #expect(r.status == .notFound, "no triage there")
            }
            let long = ByteBuffer(string: #"{"verdict":"correct","note":""# + String(repeating: "x", count: 3_000) + #""}"#)
            try await client.execute(uri: "/api/v1/incidents/\(incident)/feedback", method: .post,
                                     headers: [.authorization: "Bearer viewer-token"], body: long) { r in
                #expect(r.status == .badRequest, "the note is bounded")
            }
            try await client.execute(uri: "/api/v1/incidents/\(incident)/feedback", method: .post,
                                     headers: [.authorization: "Bearer viewer-token"], body: body) { r in
                #expect(r.status == .ok, "\(String(buffer: r.body))")
            }
        }
        let log = try await TestKafka.readAll(topics.incidents)
        let event = try IncidentEventCodec.decode(try #require(log.first))
        guard case .triageFeedback(let f) = event.payload else { Issue.record("not TriageFeedback: \(event.type)"); return }
        #expect(f.triageEventID == triage.eventID && f.verdict == .wrongCause && f.by == Approver(name: "victor", kind: .human))
        #expect(f.rightCause == "postmortems/2025-02-20-payments-db-pool-leak" && f.note == "leak, not sizing")
        #expect(event.producer == "approver" && event.causationID == triage.eventID)
        #expect(TestSchemas.violations(ofIncidentRecord: log[0]) == [])
        #expect(try TestKeys.authenticator(topics).check(log[0]) != nil, "signed by the approver, which owns TriageFeedback")
        await producer.close()
    }
}
