import ArgumentParser
import Corpus
import DaemonRuntime
import Foundation
import OperatorCLI
import IncidentLog
import Kafka
import Retrieval

struct CorpusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "corpus", abstract: "The ops-handbook corpus.",
                                                    subcommands: [Sync.self, Reembed.self])

    struct Sync: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Publish what changed in a handbook directory to aiops.corpus.v1 (only changes; deletions and renames included).")
        @OptionGroup var kafka: KafkaOptions
        @Argument(help: "Handbook directory (a folder or git checkout of markdown).") var path: String
        @Flag(help: "Keep syncing on change.") var watch = false
        @Option(help: "Seconds between passes with --watch.") var interval = 30
        @Flag(help: "Show what would be published without publishing.") var dryRun = false

        func run() async throws {
            let root = URL(fileURLWithPath: path).standardizedFileURL
            let producer = try kafka.signedProducer(as: EventOwnership.corpusSync)
            let auth = try kafka.authenticator()
            var snapshot = try await CorpusSnapshot.read(topics: kafka.topics, configuration: try kafka.configuration,
                                                         accept: { m in auth.map { $0.accepts(m) } ?? true },
                                                         logger: cliLogger())
            var failed = false
            repeat {
                let files = try CorpusSync.scan(root: root)
                let plan = CorpusSync.plan(files: files, snapshot: snapshot, source: root.path)
                for w in plan.warnings { FileHandle.standardError.write(Data("warning: \(w)\n".utf8)) }
                for e in plan.errors { FileHandle.standardError.write(Data("error: \(e)\n".utf8)) }
                if !dryRun && !plan.events.isEmpty {
                    try await producer.send(try plan.events.map { try $0.message(topics: kafka.topics) })
                    for e in plan.events { snapshot.apply(e) }
                }
                for e in plan.events { Terminal.say("\(e.type == .upserted ? "upsert" : "delete") \(e.documentID) (\(e.path))") }
                Terminal.say("corpus sync: \(plan.scanned) files, \(plan.upserts) upserted, \(plan.deletes) deleted, \(plan.unchanged) unchanged, \(plan.errors.count) error(s)\(dryRun ? " (dry run)" : "")")
                failed = !plan.errors.isEmpty
                if watch { try await Task.sleep(for: .seconds(interval)) }
            } while watch
            await producer.close()
            // Broken files were skipped; say so in the exit status (cron and CronJobs notice).
            if failed { throw ExitCode(2) }
        }
    }

    struct Reembed: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Republish every document so the embedder indexes it again: chunks made with another model are re-embedded, and a document a newer build chunks differently gets its new chunks (unchanged chunks keep their vectors).")
        @OptionGroup var kafka: KafkaOptions

        func run() async throws {
            let auth = try kafka.authenticator()
            let snapshot = try await CorpusSnapshot.read(topics: kafka.topics, configuration: try kafka.configuration,
                                                         accept: { m in auth.map { $0.accepts(m) } ?? true },
                                                         logger: cliLogger())
            let events = CorpusSync.reembedPlan(snapshot: snapshot, source: "aiops corpus reembed")
            let producer = try kafka.signedProducer(as: EventOwnership.corpusSync)
            try await producer.send(try events.map { try $0.message(topics: kafka.topics) })
            await producer.close()
            Terminal.say("corpus reembed: \(events.count) documents republished")
        }
    }
}

struct Search: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Search the corpus index as the retriever does.")
    @OptionGroup var index: IndexOptions
    @Argument(help: "Query text.") var text: String
    @Option(help: "Only this kind (postmortem, runbook, adr, weekly-log).") var kind: String?
    @Option(help: "Alert name to boost.") var alert: String?
    @Option(help: "Service to boost.") var service: String?
    @Option(help: "hybrid, vector or text.") var mode = "hybrid"
    @Option(help: "Results.") var limit = 8
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let search = try index.open().search
        var kinds: [DocumentKind]?
        if let kind {
            guard let k = DocumentKind(rawValue: kind) else { throw ValidationError("unknown kind \(kind)") }
            kinds = [k]
        }
        guard let m = SearchMode(rawValue: mode) else { throw ValidationError("unknown mode \(mode)") }
        let results = try await search.search(
            SearchQuery(text: text, alertName: alert, services: service.map { [$0] } ?? [], kinds: kinds, limit: limit),
            mode: m)
        if json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try enc.encode(results), as: UTF8.self))
            return
        }
        if results.isEmpty { Terminal.say("nothing above the similarity floor") }
        for (i, c) in results.enumerated() {
            Terminal.say(String(format: "%2d. %.4f  %@  %@:%d-%d", i + 1, c.score, c.kind, c.path, c.lineStart, c.lineEnd))
            Terminal.say("    \(c.headingPath)  [sim \(c.similarity.map { String(format: "%.3f", $0) } ?? "-"), vector #\(c.vectorRank.map(String.init) ?? "-"), text #\(c.textRank.map(String.init) ?? "-")\(c.boosts.isEmpty ? "" : ", boost " + c.boosts.joined(separator: "+"))]")
        }
    }
}
