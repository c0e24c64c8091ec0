import DaemonRuntime
import Foundation
import HTTPTypes
import Hummingbird
import IncidentLog
import Kafka
import Logging
import Metrics
import NIOCore
import Prometheus
import Tracing

/// Builds alert-ingestor's HTTP application. `main` and the tests both call it.
///
/// - `POST /api/v1/alerts`: Alertmanager webhook (version 4)
/// - `POST /api/v1/incidentreports`: an IncidentReport as YAML (or JSON)
/// - `GET /healthz`, `/readyz` (Kafka reachable), `/metrics`
public func buildIngestorApplication(configuration: IngestorConfiguration, producer: KafkaProducer,
                                     coordinator: IngestCoordinator, registry: PrometheusCollectorRegistry?,
                                     logger: Logger) -> some ApplicationProtocol {
    let router = Router(context: BasicRequestContext.self)
    let handlers = IngestHandlers(configuration: configuration, producer: producer, coordinator: coordinator,
                                  logger: logger)
    addOperationalRoutes(router, registry: registry) { await handlers.readiness() }
    let api = router.group("api/v1").add(middleware: AuthMiddleware(configuration: configuration))
    api.post("alerts") { request, context in try await handlers.alerts(request, context: context) }
    api.post("incidentreports") { request, context in try await handlers.incidentReport(request, context: context) }
    return Application(router: router,
                       configuration: .init(address: .hostname(configuration.host, port: configuration.port),
                                            serverName: "alert-ingestor"),
                       logger: logger)
}

struct IngestHandlers: Sendable {
    let configuration: IngestorConfiguration
    let producer: KafkaProducer
    let coordinator: IngestCoordinator
    let logger: Logger
    let latency = Timer(label: "aiops_ingest_request_seconds", preferredDisplayUnit: .seconds)
    let rejected = Counter(label: "aiops_ingest_requests_rejected_total")

    func alerts(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let start = ContinuousClock.now
        defer { latency.recordDuration(since: start) }
        var request = request
        let body: ByteBuffer
        do { body = try await request.collectBody(upTo: configuration.maxBodyBytes) } catch { return tooLarge() }
        let webhook: AlertmanagerWebhook
        do {
            webhook = try AlertmanagerWebhook.decode(Data(buffer: body))
        } catch {
            rejected.increment()
            logger.notice("rejected webhook", metadata: ["field": "\(error.field)", "problem": "\(error.problem)"])
            return badRequest(error)
        }
        return try await accept(request) { trace in try await coordinator.ingest(webhook, trace: trace) }
    }

    func incidentReport(_ request: Request, context: BasicRequestContext) async throws -> Response {
        var request = request
        let body: ByteBuffer
        do { body = try await request.collectBody(upTo: configuration.maxBodyBytes) } catch { return tooLarge() }
        let report: IncidentReport
        do {
            report = try IncidentReport.parse(String(buffer: body))
        } catch {
            rejected.increment()
            return badRequest(error)
        }
        return try await accept(request) { trace in try await coordinator.ingest(report, trace: trace) }
    }

    /// Runs the ingest; 200 only once Kafka acknowledged everything, 503 when it could not.
    private func accept(_ request: Request, _ body: (TraceContext) async throws -> IngestOutcome) async throws -> Response {
        let incoming = request.headers[HTTPField.Name("traceparent")!].flatMap {
            TraceContext(header: $0, state: request.headers[HTTPField.Name("tracestate")!])
        }
        // The incident's trace starts here (or continues the sender's): a server span whose context the events carry.
        return try await Spans.run("POST \(request.uri.path)", kind: .server, parent: incoming) { a in
            a["http.request.method"] = "POST"
            a["url.path"] = request.uri.path
        } _: { span in
            let response = try await accept(request, trace: Spans.traceContext(of: span) ?? incoming ?? .newRoot(), body)
            span.attributes["http.response.status_code"] = Int(response.status.code)
            if response.status.code >= 500 { span.setStatus(SpanStatus(code: .error)) }
            return response
        }
    }

    private func accept(_ request: Request, trace: TraceContext, _ body: (TraceContext) async throws -> IngestOutcome) async throws -> Response {
        do {
            let outcome = try await body(trace)
            return jsonResponse(.ok, outcome)
        } catch let error as KafkaError where error.isPermanentForRecord {
            // Retrying cannot help (Alertmanager retries 5xx for ever, and the group's other alerts would never land).
            rejected.increment()
            logger.warning("the event log refuses a record of this request", metadata: ["error": "\(error)"])
            return errorResponse(.unprocessableContent, code: "record_rejected",
                                 "the event log refuses a record of this request: \(error.message)")
        } catch let error as KafkaError {
            logger.warning("kafka unavailable, answering 503", metadata: ["error": "\(error)"])
            var r = errorResponse(.serviceUnavailable, code: "kafka_unavailable",
                                  "the event log is unavailable; retry later: \(error.message)")
            r.headers[.retryAfter] = String(configuration.retryAfterSeconds)
            return r
        }
    }

    /// nil when Kafka answers, else the problem.
    func readiness() async -> String? {
        do {
            _ = try await producer.partitionCount(topic: configuration.topics.incidents, timeout: .seconds(2))
            return nil
        } catch {
            return "kafka unreachable: \(error)"
        }
    }

    private func tooLarge() -> Response {
        rejected.increment()
        return errorResponse(.contentTooLarge, code: "too_large", "request body exceeds \(configuration.maxBodyBytes) bytes")
    }
}

func badRequest(_ error: InputError) -> Response {
    errorResponse(.badRequest, code: "invalid_input", field: error.field, error.problem)
}

/// Bearer token or basic auth, as Alertmanager's `http_config` can send.
/// Compares in constant time. Open when neither is configured.
struct AuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let configuration: IngestorConfiguration

    func handle(_ request: Request, context: Context,
                next: (Request, Context) async throws -> Response) async throws -> Response {
        guard configuration.requiresAuth else { return try await next(request, context) }
        let header = request.headers[.authorization] ?? ""
        if let token = configuration.bearerToken, header.hasPrefix("Bearer "),
           constantTimeEqual(String(header.dropFirst(7)), token) {
            return try await next(request, context)
        }
        if let user = configuration.basicAuthUser, header.hasPrefix("Basic "),
           let decoded = Data(base64Encoded: String(header.dropFirst(6))).map({ String(decoding: $0, as: UTF8.self) }) {
            let expected = "\(user):\(configuration.basicAuthPassword ?? "")"
            if constantTimeEqual(decoded, expected) { return try await next(request, context) }
        }
        var r = errorResponse(.unauthorized, code: "unauthorized", field: "Authorization", "missing or wrong credentials")
        r.headers[.wwwAuthenticate] = configuration.bearerToken != nil ? "Bearer" : "Basic realm=\"alert-ingestor\""
        return r
    }
}

func constantTimeEqual(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8), y = Array(b.utf8)
    var diff = UInt8(x.count == y.count ? 0 : 1)
    for i in 0..<max(x.count, y.count) {
        diff |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
    }
    return diff == 0
}
