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
}
