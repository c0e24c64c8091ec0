import Foundation
import HTTPClient
import TestSupport
import Testing

@Suite("libcurl wrapper against a real Alertmanager",
       .enabled(if: TestAlertmanager.isAvailable || ProcessInfo.processInfo.environment["CI"] != nil))
struct HTTPClientTests {
    @Test func getPostHeadersAndStatus() async throws {
        let am = try await TestAlertmanager(webhookURL: "http://127.0.0.1:1/unused")
        defer { am.stop() }
        let client = try HTTPClient()
        let status = try await client.request("GET", "\(am.url)/api/v2/status")
        #expect(status.status == 200)
        #expect(status.headers["content-type"]?.hasPrefix("application/json") == true)
        #expect(status.text.contains("versionInfo"))
        let bad = try await client.request("POST", "\(am.url)/api/v2/alerts", headers: ["Content-Type": "application/json"],
                                           body: Array("{not json".utf8))
        #expect(bad.status == 400)
        let missing = try await client.request("GET", "\(am.url)/no/such/path")
        #expect(missing.status == 404)
    }

    @Test func transportErrorsAreErrors() async throws {
        let port = try freeLoopbackPort()
        await #expect(throws: HTTPClientError.self) {
            _ = try await HTTPClient().request("GET", "http://127.0.0.1:\(port)/", timeout: .seconds(2))
        }
    }
}
