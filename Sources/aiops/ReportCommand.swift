import ArgumentParser
import Corpus
import Foundation
import IncidentLog
import OperatorCLI

/// `aiops report …`: figures read from the incident log.
struct Report: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Reports from the incident log.", subcommands: [MTTT.self])

    /// `aiops report mttt`: time to triage, to a human decision and to mitigation with aiops, per service and
    /// incident type, next to the handbook's postmortems (people, before).
    struct MTTT: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "mttt", abstract: "Time to triage with aiops vs the handbook's postmortems, per service and incident type.")
        @OptionGroup var kafka: KafkaOptions
        @Option(help: "The handbook whose postmortems' detected_at / triaged_at / mitigated_at are the baseline.")
        var handbook = "examples/ops-handbook"
        @Flag(help: "Print JSON.") var json = false
        @Flag(help: "Also the services and types only the postmortems have.") var all = false

        func run() async throws {
            var postmortems: [CorpusDocument] = []
            for (path, text) in try CorpusSync.scan(root: URL(fileURLWithPath: handbook).standardizedFileURL) {
                guard let (doc, _) = try? CorpusDocument.parse(path: path, text: text), doc.kind == .postmortem else { continue }
                postmortems.append(doc)
            }
            var fold = IncidentLogFold()
            for e in try await readIncidentLog(kafka) { fold.apply(e) }
            let report = MTTTReport(states: fold.sorted, postmortems: postmortems)
            if json {
                let data = try JSONSerialization.data(withJSONObject: ["rows": report.json], options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                print(report.table(all: all), terminator: "")
            }
        }
    }
}
