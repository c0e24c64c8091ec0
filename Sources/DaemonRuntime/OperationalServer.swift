import Foundation
import Hummingbird
import NIOCore
import Prometheus

/// `/healthz`, `/readyz` and `/metrics` for daemons that have no other HTTP API.
public func buildOperationalApplication(host: String, port: Int, service: String,
                                        registry: PrometheusCollectorRegistry,
                                        ready: @escaping @Sendable () async -> String?) -> some ApplicationProtocol {
    let router = Router(context: BasicRequestContext.self)
    router.get("/healthz") { _, _ in Response(status: .ok, headers: [.contentType: "application/json"],
                                                body: .init(byteBuffer: ByteBuffer(string: #"{"status":"ok"}"#))) }
    router.get("/readyz") { _, _ in
        if let problem = await ready() {
            let body = try JSONEncoder().encode(["status": "not ready", "problem": problem])
            return Response(status: .serviceUnavailable, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
        return Response(status: .ok, headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(string: #"{"status":"ready"}"#)))
    }
    router.get("/metrics") { _, _ in
        Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                 body: .init(byteBuffer: ByteBuffer(string: Observability.render(registry))))
    }
    return Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: service))
}
