import CCurl
import Foundation
import Synchronization

/// An HTTP response: status, headers (lower-cased names) and body.
public struct HTTPClientResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: [UInt8]
    /// The body went beyond the request's `maxResponseBytes` and was cut there.
    public var truncated = false

    public var text: String { String(decoding: body, as: UTF8.self) }
}

public struct HTTPClientError: Error, CustomStringConvertible, Sendable {
    public struct Code: Hashable, Sendable {
        let raw: String
        public static let transport = Code(raw: "transport")
        public static let timedOut = Code(raw: "timedOut")
        public static let setup = Code(raw: "setup")
    }
    public var code: Code
    public var message: String
    public var description: String { "http \(code.raw): \(message)" }
}

/// Collects a response while curl runs.
private final class Sink {
    var body: [UInt8] = []
    var headers: [String: String] = [:]
    let limit: Int
    var truncated = false
    init(limit: Int) { self.limit = limit }
}

/// Keeps at most `limit` bytes; past it the transfer is aborted (the answer so far is kept, marked truncated):
/// a server cannot make a daemon buffer an unbounded body.
private func writeBody(_ ptr: UnsafeMutablePointer<CChar>?, _ size: Int, _ n: Int, _ ud: UnsafeMutableRawPointer?) -> Int {
    guard let ptr, let ud else { return 0 }
    let sink = Unmanaged<Sink>.fromOpaque(ud).takeUnretainedValue()
    let room = sink.limit - sink.body.count
    if size * n > room {
        sink.body.append(contentsOf: UnsafeRawBufferPointer(start: ptr, count: max(0, room)))
        sink.truncated = true
        return 0
    }
    sink.body.append(contentsOf: UnsafeRawBufferPointer(start: ptr, count: size * n))
    return size * n
}

private func writeHeader(_ ptr: UnsafeMutablePointer<CChar>?, _ size: Int, _ n: Int, _ ud: UnsafeMutableRawPointer?) -> Int {
    guard let ptr, let ud else { return 0 }
    let sink = Unmanaged<Sink>.fromOpaque(ud).takeUnretainedValue()
    let line = String(decoding: UnsafeRawBufferPointer(start: ptr, count: size * n), as: UTF8.self)
    if let colon = line.firstIndex(of: ":") {
        let name = line[..<colon].lowercased()
        sink.headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
    }
    return size * n
}

/// A small libcurl client. One instance keeps one connection alive between
/// requests; calls on one instance are serialized on its own thread (never
/// on the cooperative pool). Create several for parallel requests.
public final class HTTPClient: @unchecked Sendable {
    // @unchecked: `handle` is only touched on `queue`.
    private let handle: UnsafeMutableRawPointer
    private let queue = DispatchQueue(label: "aiops-http-client")

    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    public init() throws {
        _ = Self.globalInit
        guard let h = curl_easy_init() else { throw HTTPClientError(code: .setup, message: "curl_easy_init failed") }
        handle = h
    }

    deinit { curl_easy_cleanup(handle) }

    /// Bodies above this are cut (`truncated`) unless a request says otherwise.
    public static let defaultMaxResponseBytes = 32 << 20

    public func request(_ method: String, _ url: String, headers: [String: String] = [:], body: [UInt8]? = nil,
                        timeout: Duration = .seconds(30), maxResponseBytes: Int = HTTPClient.defaultMaxResponseBytes)
        async throws -> HTTPClientResponse {
        try await withCheckedThrowingContinuation { c in
            queue.async { c.resume(with: Result { try self.perform(method, url, headers, body, timeout, maxResponseBytes) }) }
        }
    }

    /// Blocking variant for load generators that run their own threads.
    public func performBlocking(_ method: String, _ url: String, headers: [String: String] = [:], body: [UInt8]? = nil,
                                timeout: Duration = .seconds(30)) throws -> HTTPClientResponse {
        try queue.sync { try perform(method, url, headers, body, timeout, Self.defaultMaxResponseBytes) }
    }

    private func perform(_ method: String, _ url: String, _ headers: [String: String], _ body: [UInt8]?,
                         _ timeout: Duration, _ maxResponseBytes: Int) throws -> HTTPClientResponse {
        let sink = Sink(limit: maxResponseBytes)
        let ref = Unmanaged.passRetained(sink)
        defer { ref.release() }
        curl_easy_reset(handle)
        var list: UnsafeMutablePointer<curl_slist>?
        for (k, v) in headers { list = curl_slist_append(list, "\(k): \(v)") }
        if body != nil && headers.keys.contains(where: { $0.lowercased() == "expect" }) == false {
            list = curl_slist_append(list, "Expect:") // no 100-continue round trip
        }
        defer { curl_slist_free_all(list) }
        let payload = body ?? []
        let code: CURLcode = url.withCString { u in
            method.withCString { m in
                payload.withUnsafeBytes { p in
                    _ = aiops_curl_setopt_ptr(handle, CURLOPT_URL, u)
                    _ = aiops_curl_setopt_ptr(handle, CURLOPT_CUSTOMREQUEST, m)
                    _ = aiops_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
                    _ = aiops_curl_setopt_long(handle, CURLOPT_TIMEOUT_MS,
                                               Int(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000))
                    _ = aiops_curl_setopt_write(handle, CURLOPT_WRITEFUNCTION, writeBody)
                    _ = aiops_curl_setopt_ptr(handle, CURLOPT_WRITEDATA, ref.toOpaque())
                    _ = aiops_curl_setopt_write(handle, CURLOPT_HEADERFUNCTION, writeHeader)
                    _ = aiops_curl_setopt_ptr(handle, CURLOPT_HEADERDATA, ref.toOpaque())
                    if body != nil {
                        _ = aiops_curl_setopt_long(handle, CURLOPT_POSTFIELDSIZE, p.count)
                        _ = aiops_curl_setopt_ptr(handle, CURLOPT_POSTFIELDS, p.baseAddress ?? UnsafeRawPointer(bitPattern: 1))
                    }
                    if let list { _ = aiops_curl_setopt_ptr(handle, CURLOPT_HTTPHEADER, list) }
                    return curl_easy_perform(handle)
                }
            }
        }
        guard code == CURLE_OK || (code == CURLE_WRITE_ERROR && sink.truncated) else {
            let text = String(cString: curl_easy_strerror(code))
            throw HTTPClientError(code: code == CURLE_OPERATION_TIMEDOUT ? .timedOut : .transport,
                                  message: "\(method) \(url): \(text)")
        }
        var status = 0
        _ = aiops_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return HTTPClientResponse(status: status, headers: sink.headers, body: sink.body, truncated: sink.truncated)
    }
}

/// How a request sent with retries ended: the last answer, or the last
/// transport error when no answer came, and how many attempts it took.
public struct RetriedResponse: Sendable {
    public var response: HTTPClientResponse?
    public var error: HTTPClientError?
    public var attempts: Int
    /// 429 and 5xx are worth another try; so is no answer at all.
    public static func retryable(_ status: Int) -> Bool { status == 429 || status >= 500 }
}

extension HTTPClient {
    /// Sends until an answer that is not a 429 or 5xx comes, or `attempts` are
    /// spent, waiting `backoff(attempt)` between tries. `answered` sees when each
    /// answered attempt started (for latency metrics); `willRetry` sees why
    /// another try follows. Only cancellation throws.
    public func requestRetrying(_ method: String, _ url: String, headers: [String: String] = [:], body: [UInt8]? = nil,
                                timeout: Duration = .seconds(30), attempts: Int, backoff: (Int) -> Duration,
                                willRetry: (_ attempt: Int, _ why: String) -> Void = { _, _ in },
                                answered: (ContinuousClock.Instant) -> Void = { _ in }) async throws -> RetriedResponse {
        var attempt = 0
        while true {
            attempt += 1
            let start = ContinuousClock.now
            var outcome = RetriedResponse(response: nil, error: nil, attempts: attempt)
            let why: String
            do {
                let r = try await request(method, url, headers: headers, body: body, timeout: timeout)
                answered(start)
                outcome.response = r
                why = "server answered \(r.status): \(r.text.prefix(300))"
                if !RetriedResponse.retryable(r.status) { return outcome }
            } catch let error as HTTPClientError {
                outcome.error = error
                why = error.description
            }
            if attempt >= max(1, attempts) { return outcome }
            willRetry(attempt, why)
            try await Task.sleep(for: backoff(attempt))
        }
    }
}
