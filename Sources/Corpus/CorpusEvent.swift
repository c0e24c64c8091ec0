import Foundation
import IncidentLog
import Kafka

/// A change of one document on `aiops.corpus.v1` (compacted, key = document id):
/// the latest record per document is the corpus.
public struct CorpusEvent: Sendable, Hashable, Codable {
    public enum EventType: String, Sendable, Codable { case upserted = "DocumentUpserted", deleted = "DocumentDeleted" }

    public var type: EventType
    public var documentID: String
    public var path: String
    public var contentHash: String
    /// The whole file (front matter included) for upserts.
    public var content: String?
    public var syncedAt: String
    /// Where the sync ran from (corpus root).
    public var source: String
    /// Why it was republished (`reembed`), if not a change.
    public var reason: String?

    public init(type: EventType, documentID: String, path: String, contentHash: String, content: String?,
                syncedAt: Date, source: String, reason: String? = nil) {
        self.type = type; self.documentID = documentID; self.path = path; self.contentHash = contentHash
        self.content = content; self.syncedAt = RFC3339.format(syncedAt); self.source = source; self.reason = reason
    }

    enum CodingKeys: String, CodingKey {
        case type, path, content, source, reason
        case documentID = "document_id", contentHash = "content_hash", syncedAt = "synced_at"
    }

    public func message(topics: TopicSet) throws -> KafkaOutgoingMessage {
        KafkaOutgoingMessage(topic: topics.corpus, key: documentID, value: Array(try JSONEncoder().encode(self)),
                             headers: [KafkaHeader(key: "event_type", string: type.rawValue),
                                       KafkaHeader(key: "content-type", string: "application/json")])
    }

    public static func decode(_ message: KafkaConsumerMessage) throws -> CorpusEvent {
        try JSONDecoder().decode(CorpusEvent.self, from: Data(message.value))
    }
}

/// The corpus as the topic says it is: the latest upsert per document.
public struct CorpusSnapshot: Sendable {
    public struct Entry: Sendable, Hashable {
        public var path: String
        public var contentHash: String
        public var content: String?
        /// The directory it was last synced from (nil when read from an index).
        public var source: String?
    }

    public private(set) var documents: [String: Entry] = [:]

    public init() {}

    /// A document as an index already holds it (what a sync into that index diffs against).
    public mutating func record(documentID: String, path: String, contentHash: String) {
        documents[documentID] = Entry(path: path, contentHash: contentHash, content: nil, source: nil)
    }

    public mutating func apply(_ e: CorpusEvent) {
        switch e.type {
        case .upserted: documents[e.documentID] = Entry(path: e.path, contentHash: e.contentHash, content: e.content, source: e.source)
        case .deleted: documents[e.documentID] = nil
        }
    }

    /// Reads the corpus topic to its end; `accept` decides which records count (the signature check).
    public static func read(topics: TopicSet, configuration: KafkaConfiguration,
                            accept: (KafkaConsumerMessage) -> Bool = { _ in true }, logger: Logger) async throws -> CorpusSnapshot {
        let reader = try KafkaTopicReader(topic: topics.corpus, configuration: configuration, logger: logger)
        var s = CorpusSnapshot()
        for m in try await reader.readToEnd() where accept(m) {
            if let e = try? CorpusEvent.decode(m) { s.apply(e) }
        }
        return s
    }
}

import Logging
