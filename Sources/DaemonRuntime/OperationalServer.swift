import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Prometheus

/// `/healthz`, `/readyz` and `/metrics` for daemons that have no other HTTP API.
public func buildOperationalApplication(host: String, port: Int, service: String,
                                        registry: PrometheusCollectorRegistry?,
                                        ready: @escaping @Sendable () async -> String?) -> some ApplicationProtocol {
    let router = Router(context: BasicRequestContext.self)
    addOperationalRoutes(router, registry: registry, ready: ready)
    return Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: service))
}

/// `/healthz` (the process answers), `/readyz` (200 only when `ready` finds no
/// problem) and `/metrics` (Prometheus text) on an existing router.
public func addOperationalRoutes(_ router: Router<BasicRequestContext>, registry: PrometheusCollectorRegistry?,
                                 ready: @escaping @Sendable () async -> String?) {
    router.get("/healthz") { _, _ in jsonResponse(.ok, ["status": "ok"]) }
    router.get("/readyz") { _, _ in
        if let problem = await ready() {
            return errorResponse(.serviceUnavailable, code: "not_ready", problem)
        }
        return jsonResponse(.ok, ["status": "ready"])
    }
    router.get("/metrics") { _, _ in
        Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                 body: .init(byteBuffer: ByteBuffer(string: registry.map(Observability.render) ?? "")))
    }
}

/// A JSON response: every daemon's HTTP answers, errors included, are JSON.
public func jsonResponse(_ status: HTTPResponse.Status, _ value: some Encodable) -> Response {
    let data = (try? JSONEncoder().encode(value)) ?? Data("{}".utf8)
    return Response(status: status, headers: [.contentType: "application/json"],
                    body: .init(byteBuffer: ByteBuffer(bytes: data)))
}
