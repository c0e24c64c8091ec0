import Crypto
import DaemonRuntime
import Foundation
import HTTPTypes
import Hummingbird
import IncidentLog
import Kafka
import Logging
import NIOCore
import Yams

/// API tokens mapped to named approvers with roles. Only SHA-256 hashes of the
/// tokens are configured, never the tokens themselves.
public struct ApproverDirectory: Sendable {
    public struct Entry: Sendable, Codable, Hashable {
        public var name: String
        public var tokenSHA256: String
        /// `approver` may decide; `viewer` may only list.
        public var roles: [String]
        enum CodingKeys: String, CodingKey { case name, roles; case tokenSHA256 = "token_sha256" }
        public init(name: String, tokenSHA256: String, roles: [String]) {
            self.name = name; self.tokenSHA256 = tokenSHA256; self.roles = roles
        }
    }
    public var entries: [Entry]

    public init(entries: [Entry]) { self.entries = entries }

    public static func load(yaml: String) throws -> ApproverDirectory {
        struct File: Decodable { var approvers: [Entry] }
        return ApproverDirectory(entries: try YAMLDecoder().decode(File.self, from: yaml).approvers)
    }

    public static func hash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// The approver a bearer token belongs to (constant-time comparison of hashes).
    public func identify(token: String) -> Entry? {
        let h = Array(Self.hash(token).utf8)
        var found: Entry?
        for e in entries {
            let other = Array(e.tokenSHA256.lowercased().utf8)
            guard other.count == h.count else { continue }
            var diff: UInt8 = 0
            for i in 0..<h.count { diff |= h[i] ^ other[i] }
            if diff == 0 { found = e }
        }
        return found
    }
}

struct DecisionBody: Decodable { var reason: String }

struct APIError: Encodable { var code: String; var message: String }

/// The approver's HTTP API. Every request is authenticated; deciding needs the
/// `approver` role; the approver's name goes into the signed event.
///
/// - `GET /api/v1/approvals`: pending approvals with action, parameters, rationale, expiry
/// - `POST /api/v1/approvals/{request_id}/approve` and `/reject` with `{"reason": "..."}`
public func buildApproverApplication(handler: ApproverHandler, directory: ApproverDirectory, producer: KafkaProducer,
                                     topics: TopicSet, host: String, port: Int, logger: Logger) -> some ApplicationProtocol {
    let router = Router(context: BasicRequestContext.self)
    router.get("/healthz") { _, _ in jsonResponse(.ok, ["status": "ok"]) }
    @Sendable func authenticate(_ request: Request) -> ApproverDirectory.Entry? {
        guard let h = request.headers[.authorization], h.hasPrefix("Bearer ") else { return nil }
        return directory.identify(token: String(h.dropFirst(7)))
    }
    router.get("/api/v1/approvals") { request, _ in
        guard authenticate(request) != nil else { return jsonResponse(.unauthorized, APIError(code: "unauthorized", message: "missing or unknown bearer token")) }
        struct Row: Encodable {
            var request_id: String; var incident_id: String; var action: String; var parameters: [String: String]
            var risk: String; var rationale: String; var expires_at: String
        }
        return jsonResponse(.ok, handler.pending.map {
            Row(request_id: $0.request.requestID, incident_id: $0.incidentID, action: $0.request.action,
                parameters: $0.request.parameters, risk: $0.request.risk, rationale: $0.request.rationale,
                expires_at: $0.request.expiresAt)
        })
    }
    for verb in ["approve", "reject"] {
        router.post("/api/v1/approvals/:id/\(verb)") { request, context in
            guard let who = authenticate(request) else {
                return jsonResponse(.unauthorized, APIError(code: "unauthorized", message: "missing or unknown bearer token"))
            }
            guard who.roles.contains("approver") else {
                return jsonResponse(.forbidden, APIError(code: "forbidden", message: "\(who.name) may not decide approvals"))
            }
            let id = context.parameters.get("id") ?? ""
            var request = request
            let body = try? JSONDecoder().decode(DecisionBody.self, from: Data(buffer: try await request.collectBody(upTo: 65_536)))
            guard let reason = body?.reason, !reason.trimmingCharacters(in: .whitespaces).isEmpty else {
                return jsonResponse(.badRequest, APIError(code: "invalid_input", message: "reason: a non-empty reason is required"))
            }
            let event: IncidentEvent
            do {
                event = try handler.decide(requestID: id, approver: who.name, approve: verb == "approve", reason: reason)
            } catch {
                return jsonResponse(.notFound, APIError(code: "not_found", message: "no pending approval \(id)"))
            }
            do {
                try await producer.send(try IncidentEventCodec.encode(event, topics: topics))
            } catch {
                return jsonResponse(.serviceUnavailable, APIError(code: "kafka_unavailable", message: "\(error)"))
            }
            logger.info("approval decided", metadata: ["request": "\(id)", "approver": "\(who.name)", "decision": "\(verb)"])
            return jsonResponse(.ok, ["event_id": event.eventID, "type": event.type, "approver": who.name])
        }
    }
    return Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "approver"),
                       logger: logger)
}
