import ArgumentParser
import Foundation
import IncidentLog
import OperatorCLI
import Yams

/// `aiops eval export`: the incidents people corrected (a TriageFeedback naming the right cause or document) as
/// triage scenarios — their alert, what their diagnostics printed, and the corrected cause as the expectation —
/// ready to add to a suite for `aiops eval triage`.
struct EvalExport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Corrected incidents from the log as triage scenarios (YAML).")
    @OptionGroup var kafka: KafkaOptions
    @Option(help: "Write here instead of standard output.") var out: String?

    struct File: Encodable { var scenarios: [TriageScenario] }

    func run() async throws {
        var fold = IncidentLogFold()
        for e in try await readIncidentLog(kafka) { fold.apply(e) }
        let scenarios = fold.sorted.compactMap(IncidentRerun.correctedScenario)
        let yaml = "# Exported by `aiops eval export` from the incident log: incidents whose triage people corrected.\n"
            + (try YAMLEncoder().encode(File(scenarios: scenarios)))
        if let out {
            try yaml.write(toFile: out, atomically: true, encoding: .utf8)
            Terminal.say("\(scenarios.count) scenario(s) written to \(out)")
        } else {
            print(yaml, terminator: "")
        }
    }
}
