import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Synchronization

/// A real HTTP server on 127.0.0.1 for tests that need the other side of a
/// call: it records every request and answers with what `respond` returns
/// (status, JSON body). Stopped when released.
public final class TestHTTPServer: Sendable {
    public struct Received: Sendable {
        public var method: String
        public var path: String
        /// Lowercase header names.
        public var headers: [String: String]
        public var body: [UInt8]
        public var text: String { String(decoding: body, as: UTF8.self) }
    }
    public typealias Respond = @Sendable (_ index: Int, _ request: Received) -> (status: Int, body: [UInt8])

    final class Recorder: Sendable { let requests = Mutex<[Received]>([]) }

    public let port: Int
    public var baseURL: String { "http://127.0.0.1:\(port)" }
    private let recorder = Recorder()
    private let server: Task<Void, any Error>

    /// `delay`: how long to wait before answering a request (a slow dependency), if at all.
    public init(_ respond: @escaping Respond = { _, _ in (200, Array("ok".utf8)) },
                delay: @escaping @Sendable (_ request: Received) -> Duration? = { _ in nil }) async throws {
        let port = try freeLoopbackPort()
        self.port = port
        let router = Router()
        let recorder = recorder
        router.get("/__ready") { _, _ in "ok" }
        @Sendable func handle(_ request: Request) async throws -> Response {
            let body = Array(try await request.body.collect(upTo: 16 << 20).readableBytesView)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            let received = Received(method: request.method.rawValue, path: request.uri.path, headers: headers, body: body)
            let index = recorder.requests.withLock { $0.append(received); return $0.count - 1 }
            if let wait = delay(received) { try await Task.sleep(for: wait) }
            let (status, out) = respond(index, received)
            return Response(status: .init(code: status), headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(bytes: out)))
        }
        router.on("**", method: .post) { request, _ in try await handle(request) }
        router.on("**", method: .get) { request, _ in try await handle(request) }
        var logger = Logger(label: "test-http-server")
        logger.logLevel = .critical
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: logger)
        server = Task { try await app.runService() }
        try await waitUntilReady("http://127.0.0.1:\(port)/__ready")
    }

    deinit { server.cancel() }

    public var requests: [Received] { recorder.requests.withLock { $0 } }
}
