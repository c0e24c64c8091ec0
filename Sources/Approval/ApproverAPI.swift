import Actions
import Crypto
import DaemonRuntime
import Foundation
import HTTPTypes
import HTTPClient
import Hummingbird
import IncidentLog
import Kafka
import Logging
import NIOCore
import Prometheus
import Synchronization
import Yams

/// The approver's HTTP API. Every decision is authenticated (a bearer token, or
/// a Slack request signature and a Slack member id that maps to an approver);
/// deciding needs the `approver` role; the approver's name goes into the event.
///
/// - `GET /api/v1/approvals`: pending approvals with incident, action, parameters, rationale, evidence, expiry
/// - `POST /api/v1/approvals/{request_id}/approve` and `/reject` with `{"reason": "..."}`
/// - `POST /api/v1/incidents/{incident_id}/feedback` with `{"verdict": "correct|wrong_cause|missing_evidence|irrelevant_citation",
///   "right_cause": "...", "right_document": "...", "note": "..."}`: a TriageFeedback on the incident's latest triage
/// - `POST /slack/interactions`: Slack's interactivity callback (Approve / Reject buttons), v0 signatures
/// - `GET /api/v1/incidents`: open and recently resolved incidents; `GET /api/v1/incidents/{incident_id}`: one incident's
///   timeline, triages with each citation's section text, diagnostics and their outputs, approvals waiting, feedback
/// - `GET /approvals`, `GET /incidents`: the web pages (static; they use the API with the token you give them)
public func buildApproverApplication(handler: ApproverHandler, decisions: DecisionRecorder? = nil, directory: ApproverDirectory,
                                     producer: KafkaProducer, topics: TopicSet, host: String, port: Int, slack: SlackSignatureVerifier? = nil,
                                     slackResponsePrefix: String = "https://hooks.slack.com/",
                                     registry: PrometheusCollectorRegistry? = nil,
                                     logger: Logger) -> some ApplicationProtocol {
    let decisions = decisions ?? DecisionRecorder(handler: handler, producer: producer, topics: topics, logger: logger)
    let router = Router(context: BasicRequestContext.self)
    addOperationalRoutes(router, registry: registry) {
        do { _ = try await producer.partitionCount(topic: topics.incidents, timeout: .seconds(2)); return nil } catch {
            return "kafka: \(error)"
        }
    }
    @Sendable func authenticate(_ request: Request) -> ApproverDirectory.Entry? {
        guard let h = request.headers[.authorization], h.hasPrefix("Bearer ") else { return nil }
        return directory.identify(token: String(h.dropFirst(7)))
    }
    router.get("/api/v1/approvals") { request, _ in
        guard authenticate(request) != nil else { return errorResponse(.unauthorized, code: "unauthorized", "missing or unknown bearer token") }
        struct Evidence: Encodable { var chunk_id: String; var document_id: String; var title: String; var path: String; var section: String }
        struct Weighed: Encodable { var cause: String; var title: String; var status: String; var score: Double }
        struct Triage: Encodable { var likely_cause: String?; var chosen_because: String?; var hypotheses: [Weighed] }
        struct Row: Encodable {
            var request_id: String; var incident_id: String; var title: String; var action: String
            var parameters: [String: String]; var risk: String; var rationale: String; var evidence: [Evidence]
            var expires_at: String; var triage: Triage?
        }
        return jsonResponse(.ok, handler.pending.map {
            Row(request_id: $0.request.requestID, incident_id: $0.incidentID, title: $0.title, action: $0.request.action,
                parameters: $0.request.parameters, risk: $0.request.risk, rationale: $0.request.rationale,
                evidence: $0.evidence.map { Evidence(chunk_id: $0.chunkID, document_id: $0.documentID, title: $0.title,
                                                     path: $0.path, section: $0.headingPath) },
                expires_at: $0.request.expiresAt,
                triage: $0.triage.map { t in
                    Triage(likely_cause: t.likelyCause, chosen_because: t.chosenBecause,
                           hypotheses: t.hypotheses.map { Weighed(cause: $0.cause, title: $0.title, status: $0.status.rawValue, score: $0.score) })
                })
        })
    }
    for verb in ["approve", "reject"] {
        router.post("/api/v1/approvals/:id/\(verb)") { request, context in
            guard let who = authenticate(request) else {
                return errorResponse(.unauthorized, code: "unauthorized", "missing or unknown bearer token")
            }
            guard who.roles.contains("approver") else {
                return errorResponse(.forbidden, code: "forbidden", "\(who.name) may not decide approvals")
            }
            let id = context.parameters.get("id") ?? ""
            var request = request
            let body = try? JSONDecoder().decode(DecisionBody.self, from: Data(buffer: try await request.collectBody(upTo: 65_536)))
            guard let reason = body?.reason, !reason.trimmingCharacters(in: .whitespaces).isEmpty else {
                return errorResponse(.badRequest, code: "invalid_input", field: "reason", "a non-empty reason is required")
            }
            return await decisions.record(id, by: who.name, approve: verb == "approve", reason: reason, via: "api")
        }
    }
    router.get("/api/v1/incidents") { request, _ in
        guard authenticate(request) != nil else { return errorResponse(.unauthorized, code: "unauthorized", "missing or unknown bearer token") }
        return jsonResponse(.ok, handler.incidents.list().map(IncidentView.row))
    }
    router.get("/api/v1/incidents/:id") { request, context in
        guard authenticate(request) != nil else { return errorResponse(.unauthorized, code: "unauthorized", "missing or unknown bearer token") }
        let id = context.parameters.get("id") ?? ""
        guard let state = handler.incidents.incident(id) else {
            return errorResponse(.notFound, code: "not_found", "no open or recent incident \(id)")
        }
        return jsonResponse(.ok, IncidentView(state))
    }
    // What a person says of a triage: any known person (approver or viewer) may; the name goes into the event.
    router.post("/api/v1/incidents/:id/feedback") { request, context in
        guard let who = authenticate(request) else {
            return errorResponse(.unauthorized, code: "unauthorized", "missing or unknown bearer token")
        }
        let id = context.parameters.get("id") ?? ""
        var request = request
        let body: FeedbackBody
        do {
            body = try JSONDecoder().decode(FeedbackBody.self, from: Data(buffer: try await request.collectBody(upTo: 65_536)))
        } catch {
            return errorResponse(.badRequest, code: "invalid_input", field: "verdict",
                                 "a JSON body with verdict (\(TriageFeedback.Verdict.allCases.map(\.rawValue).joined(separator: ", "))) is required")
        }
        guard let verdict = TriageFeedback.Verdict(rawValue: body.verdict.replacingOccurrences(of: "-", with: "_")) else {
            return errorResponse(.badRequest, code: "invalid_input", field: "verdict",
                                 "verdict must be one of \(TriageFeedback.Verdict.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let event: IncidentEvent
        do {
            event = try handler.feedback(incidentID: id, by: who.name, verdict: verdict, rightCause: body.right_cause,
                                         rightDocument: body.right_document, note: body.note)
        } catch let e as ApproverError where e.kind == .notFound {
            return errorResponse(.notFound, code: "not_found", e.message)
        } catch {
            return errorResponse(.badRequest, code: "invalid_input", "\(error)")
        }
        do { try await producer.send(try IncidentEventCodec.encode(event, topics: topics)) } catch {
            return errorResponse(.serviceUnavailable, code: "kafka_unavailable", "\(error)")
        }
        handler.observe(event)
        logger.info("triage feedback", metadata: ["incident": "\(id)", "by": "\(who.name)", "verdict": "\(verdict.rawValue)"])
        return jsonResponse(.ok, ["event_id": event.eventID, "type": event.type, "by": who.name, "verdict": verdict.rawValue])
    }
    router.post("/slack/interactions") { request, _ in
        guard let slack else {
            return errorResponse(.notFound, code: "not_found", "Slack interactivity is off (set SLACK_SIGNING_SECRET)")
        }
        var request = request
        let body = Array(try await request.collectBody(upTo: 1 << 20).readableBytesView)
        do throws(SlackSignatureVerifier.Failure) {
            try slack.verify(timestamp: request.headers[slackTimestamp], signature: request.headers[slackSignature], body: body)
        } catch {
            logger.warning("Slack callback refused", metadata: ["reason": "\(error)"])
            return errorResponse(error == .replayed ? .conflict : .unauthorized, code: error == .replayed ? "replayed" : "invalid_signature", error.description)
        }
        guard let action = SlackAction.parse(formBody: body) else {
            return errorResponse(.badRequest, code: "invalid_input", "payload: not a block_actions interaction")
        }
        guard action.actionID == "aiops_approve" || action.actionID == "aiops_reject" else {
            return jsonResponse(.ok, ["text": "ok"])  // the "Open approvals" link button
        }
        guard let who = directory.identify(slackUserID: action.userID), who.roles.contains("approver") else {
            return errorResponse(.forbidden, code: "forbidden", "Slack user \(action.userID) is not a configured approver")
        }
        let approve = action.actionID == "aiops_approve"
        let response = await decisions.record(action.requestID, by: who.name, approve: approve,
                                              reason: "\(approve ? "approved" : "rejected") in Slack by \(action.userName)",
                                              via: "slack")
        // Show the decision in place of the buttons; only ever to Slack's own response URLs.
        if response.status == .ok, let url = action.responseURL, url.hasPrefix(slackResponsePrefix) {
            let text = "\(approve ? "Approved" : "Rejected") by \(who.name) (Slack: \(action.userName)) — request \(action.requestID)"
            Task {
                let message: JSONValue = .object(["replace_original": true, "text": .string(text)])
                let body = (try? JSONEncoder().encode(message)) ?? Data()
                do {
                    let r = try await HTTPClient().request("POST", url, headers: ["Content-Type": "application/json"],
                                                           body: Array(body), timeout: .seconds(10))
                    if r.status >= 300 { logger.warning("Slack response_url answered \(r.status)") }
                } catch {
                    logger.warning("Slack response_url failed", metadata: ["error": "\(error)"])
                }
            }
        }
        return response
    }
    router.get("/approvals") { _, _ in page(ApprovalsPage.html, "text/html; charset=utf-8") }
    router.get("/approvals.js") { _, _ in page(ApprovalsPage.script, "text/javascript; charset=utf-8") }
    router.get("/approvals.css") { _, _ in page(ApprovalsPage.css, "text/css; charset=utf-8") }
    router.get("/common.js") { _, _ in page(ApprovalsPage.common, "text/javascript; charset=utf-8") }
    router.get("/incidents") { _, _ in page(IncidentsPage.html, "text/html; charset=utf-8") }
    router.get("/incidents.js") { _, _ in page(IncidentsPage.script, "text/javascript; charset=utf-8") }
    return Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "approver"),
                       logger: logger)
}

let slackTimestamp = HTTPField.Name("X-Slack-Request-Timestamp")!

let slackSignature = HTTPField.Name("X-Slack-Signature")!

func page(_ body: String, _ type: String) -> Response {
    var headers: HTTPFields = [.contentType: type]
    headers[HTTPField.Name("Content-Security-Policy")!] = "default-src 'self'; frame-ancestors 'none'"
    headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
    return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
}
