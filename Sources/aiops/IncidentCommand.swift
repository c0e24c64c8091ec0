import ArgumentParser
import DaemonRuntime
import Foundation
import OperatorCLI
import HTTPClient
import Ingest

struct IncidentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "incident", abstract: "Declare incidents.",
                                                    subcommands: [Apply.self])

    struct Apply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send an IncidentReport (YAML) to alert-ingestor; it opens an incident like an alert does.")
        @Option(name: .shortAndLong, help: "IncidentReport YAML file (- for stdin).") var file: String
        @Option(help: "alert-ingestor base URL (INGESTOR_URL, default http://127.0.0.1:9095).") var ingestor: String?
        @Option(help: "Bearer token (INGESTOR_BEARER_TOKEN).") var token: String?

        func run() async throws {
            let text: String
            if file == "-" {
                text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
            } else {
                guard let data = FileManager.default.contents(atPath: file) else {
                    throw ValidationError("cannot read \(file)")
                }
                text = String(decoding: data, as: UTF8.self)
            }
            // Validate locally first so mistakes are reported with the file name.
            do { _ = try IncidentReport.parse(text) } catch {
                throw ValidationError("\(file): \(error.field): \(error.problem)")
            }
            let src = ConfigSource()
            let base = src.string(ingestor, env: "INGESTOR_URL", default: "http://127.0.0.1:9095")
            var headers = ["Content-Type": "application/yaml"]
            if let t = src.optionalString(token, env: "INGESTOR_BEARER_TOKEN") { headers["Authorization"] = "Bearer \(t)" }
            let response = try await HTTPClient().request("POST", "\(base)/api/v1/incidentreports", headers: headers,
                                                          body: Array(text.utf8))
            guard response.status == 200 else {
                throw ValidationError("alert-ingestor answered \(response.status): \(response.text)")
            }
            Terminal.say(response.text)
        }
    }
}
