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

/// `aiops feedback INCIDENT --verdict …`: what you say of the incident's latest triage, as yourself.
struct Feedback: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Say whether an incident's triage was right: correct, wrong-cause, missing-evidence or irrelevant-citation.")
    @OptionGroup var options: ApproverOptions
    @Argument(help: "Incident id (inc-…).") var incidentID: String
    @Option(help: "correct, wrong-cause, missing-evidence or irrelevant-citation.") var verdict: String
    @Option(help: "The cause it really was (a postmortem id, or words).") var rightCause: String?
    @Option(help: "The document that should have been cited.") var rightDocument: String?
    @Option(help: "A note.") var note: String?

    func run() async throws {
        var body = ["verdict": verdict]
        body["right_cause"] = rightCause
        body["right_document"] = rightDocument
        body["note"] = note
        let r = try await options.call("POST", "/api/v1/incidents/\(incidentID)/feedback", body: body)
        guard r.status == 200 else { throw ValidationError("approver answered \(r.status): \(r.text)") }
        Terminal.say(r.text)
    }
}
