import ArgumentParser
import DaemonRuntime
import Foundation
import OperatorCLI
import HTTPClient

/// Options for talking to the approver's API as a named human.
struct ApproverOptions: ParsableArguments {
    @Option(help: "approver base URL (APPROVER_URL, default http://127.0.0.1:9098).") var approver: String?
    @Option(help: "Your API token (APPROVER_TOKEN).") var token: String?

    func call(_ method: String, _ path: String, body: [String: String]? = nil) async throws -> HTTPClientResponse {
        let src = ConfigSource()
        let base = src.string(approver, env: "APPROVER_URL", default: "http://127.0.0.1:9098")
        guard let t = src.optionalString(token, env: "APPROVER_TOKEN") else {
            throw ValidationError("an API token is required: --token or APPROVER_TOKEN")
        }
        var headers = ["Authorization": "Bearer \(t)"]
        var bytes: [UInt8]?
        if let body {
            headers["Content-Type"] = "application/json"
            bytes = Array(try JSONEncoder().encode(body))
        }
        return try await HTTPClient().request(method, base + path, headers: headers, body: bytes)
    }
}

struct Approvals: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List pending approvals.")
    @OptionGroup var options: ApproverOptions

    func run() async throws {
        let r = try await options.call("GET", "/api/v1/approvals")
        guard r.status == 200 else { throw ValidationError("approver answered \(r.status): \(r.text)") }
        struct Evidence: Decodable { var title: String; var section: String }
        struct Row: Decodable {
            var request_id: String; var incident_id: String; var title: String?; var action: String
            var parameters: [String: String]; var risk: String; var rationale: String; var evidence: [Evidence]?
            var expires_at: String
        }
        let rows = try JSONDecoder().decode([Row].self, from: Data(r.body))
        if rows.isEmpty { Terminal.say("no pending approvals") }
        for row in rows {
            Terminal.say("\(row.request_id)  \(row.incident_id)  \(row.action) \(row.parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))  [\(row.risk), expires \(row.expires_at)]")
            if let title = row.title { Terminal.say("    incident: \(title)") }
            Terminal.say("    why: \(row.rationale)")
            for e in row.evidence ?? [] { Terminal.say("    evidence: \(e.title) — \(e.section)") }
        }
    }
}

struct Approve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Approve a pending action as yourself.")
    @OptionGroup var options: ApproverOptions
    @Argument(help: "Request id (from aiops approvals).") var requestID: String
    @Option(help: "Why.") var reason: String

    func run() async throws { try await decide(options, requestID, "approve", reason) }
}

struct Reject: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Reject a pending action as yourself.")
    @OptionGroup var options: ApproverOptions
    @Argument(help: "Request id (from aiops approvals).") var requestID: String
    @Option(help: "Why.") var reason: String

    func run() async throws { try await decide(options, requestID, "reject", reason) }
}

func decide(_ options: ApproverOptions, _ id: String, _ verb: String, _ reason: String) async throws {
    let r = try await options.call("POST", "/api/v1/approvals/\(id)/\(verb)", body: ["reason": reason])
    guard r.status == 200 else { throw ValidationError("approver answered \(r.status): \(r.text)") }
    Terminal.say(r.text)
}
