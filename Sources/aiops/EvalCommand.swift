import ArgumentParser
import Corpus
import Foundation
import OperatorCLI
import IncidentLog
import Retrieval
import Yams

struct Eval: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Score the system against labelled suites.",
                                                    subcommands: [RetrievalEval.self, TriageEval.self, EvalExport.self])
}
