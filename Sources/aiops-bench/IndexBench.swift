import ArgumentParser
import Corpus
import DaemonRuntime
import Embedding
import Foundation
import OperatorCLI
import IncidentLog
import Kafka
import Retrieval

/// `aiops bench index`: chunks/s through the embedder (corpus topic →
/// consume loop → chunk → embed → PostgreSQL) next to the rate the embeddings
/// server reaches on the same texts called directly, in the same run.
struct IndexBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "index",
                                                    abstract: "Embedder throughput against the embeddings server's own rate.")
    @OptionGroup var index: IndexOptions
    @Option(help: "Handbook to index.") var handbook = "examples/ops-handbook"

    func run() async throws {
        let url = try await BenchDatabase.fresh(base: index.url, name: "aiops_bench_index")
        let opened = try index.open(url: url)
        let (embeddings, config) = (opened.embeddings, opened.embeddings.configuration)
        let files = try CorpusSync.scan(root: URL(fileURLWithPath: handbook))
        guard files.count > 1 else { throw ValidationError("\(handbook) has too few documents") }
        let chunker = Chunker()
        // The first document warms up the pipeline (consumer group join, connections); it is not timed.
        let warmup = [files[0]]
        let timed = Array(files.dropFirst())
        // What the embedder embeds for a document: each chunk, and the title (CorpusDocument.titleText). Both sides
        // of the comparison embed exactly these texts.
        var texts: [String] = []
        var chunkCount = 0
        for f in timed {
            let doc = try CorpusDocument.parse(path: f.path, text: f.text).0
            let chunks = chunker.chunks(of: doc).map(\.embeddingText)
            chunkCount += chunks.count
            texts += chunks + [doc.titleText]
        }
        print("aiops bench index: \(timed.count) documents, \(chunkCount) chunks and \(timed.count) titles timed, "
              + "batch size \(config.batchSize), model \(config.model)")
        _ = try await embeddings.embed([texts[0]], as: .passage)

        // 1. The embeddings server alone, same texts, same batch size.
        var start = ContinuousClock.now
        _ = try await embeddings.embed(texts, as: .passage)
        let direct = Double(texts.count) / (ContinuousClock.now - start).seconds

        // 2. Through the embedder: corpus events on a (mock) Kafka topic, the consume loop, PostgreSQL.
        let cluster = try KafkaMockCluster(brokers: 1, logger: cliLogger())
        let topics = TopicSet(prefix: "bench-index.")
        for t in topics.descriptors { try cluster.createTopic(t.name, partitions: t.partitions) }
        var kafka = KafkaConfiguration(bootstrapServers: cluster.bootstrapServers, clientID: "bench-index")
        kafka.properties["reconnect.backoff.max.ms"] = "500"
        // Records are signed as in production: the corpus as corpus-sync, verified by the loop.
        let keys = try KeySet.generate()
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(kafka: kafka),
                                         signer: RecordSigner(key: try keys.key(EventOwnership.corpusSync)), logger: cliLogger())
        let store = opened.store
        try await store.migrate()
        var consumerConfig = KafkaConsumerConfiguration(kafka: kafka, groupID: "bench-embedder", topics: [topics.corpus])
        consumerConfig.sessionTimeoutMs = 6_000
        let consumer = try KafkaConsumer(configuration: consumerConfig, logger: cliLogger())
        let loop = ConsumeLoop(consumer: consumer, producer: producer,
                               handler: EmbedderHandler(store: store, embeddings: embeddings, logger: cliLogger()),
                               authenticator: RecordAuthenticator(keyring: keys.keyring, topics: topics),
                               group: "bench-embedder", logger: cliLogger())
        let task = Task { try await loop.run() }
        let warm = CorpusSync.plan(files: warmup, snapshot: CorpusSnapshot(), source: handbook)
        try await producer.send(try warm.events.map { try $0.message(topics: topics) })
        while try await store.counts().documents < 1 { try await Task.sleep(for: .milliseconds(20)) }
        let warmChunks = try await store.counts().chunks

        var snapshot = CorpusSnapshot()
        for e in warm.events { snapshot.apply(e) }
        let plan = CorpusSync.plan(files: files, snapshot: snapshot, source: handbook)
        start = ContinuousClock.now
        try await producer.send(try plan.events.map { try $0.message(topics: topics) })
        while try await store.counts().chunks < warmChunks + chunkCount { try await Task.sleep(for: .milliseconds(20)) }
        let seconds = (ContinuousClock.now - start).seconds
        task.cancel()
        _ = try? await task.value
        await producer.close()
        let through = Double(texts.count) / seconds
        print(String(format: "embeddings server directly  %7.1f texts/s", direct))
        print(String(format: "through the embedder        %7.1f texts/s (%.1f s: topic, consume loop, chunking, embedding, PostgreSQL)",
                     through, seconds))
        print(String(format: "ratio %.0f%%   target >= 80%% [%@]", 100 * through / direct, through / direct >= 0.8 ? "met" : "NOT met"))
    }
}
