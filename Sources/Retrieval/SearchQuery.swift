import Corpus
import Foundation
import IncidentLog
import Logging
import Postgres

/// What to search for. `text` is untrusted alert text: it is only ever query text.
public struct SearchQuery: Sendable {
    public var text: String
    public var alertName: String?
    public var services: [String]
    public var kinds: [DocumentKind]?
    public var limit: Int
    /// Candidates from each retriever (vector, full text) before fusion; the tuning's when nil.
    public var candidates: Int?
    /// Words naming the component the alert is about (from its labels and metric names), matched against
    /// document paths: `runbooks/gitaly/…` for an alert on `job="gitaly"`.
    public var components: [String]
    /// The metric namespaces the alert's name spells out (`rabbitmq` for `RabbitmqUnroutableMessages` on
    /// `rabbitmq_channel_messages_unroutable_dropped_total`), and then its labels' components it spells out too
    /// (`IncidentQuery.subjects`): what the alert is about, in the words a runbook for it uses. A handbook whose best
    /// runbooks mention none of them has none for this alert (`RetrievalScoring.Floor.subjectAmong`).
    public var subjects: [String]
    /// The runbooks the alert links to itself (`runbook_url`): the documents they name are always candidates,
    /// and rank first.
    public var links: [RunbookLink]
    /// The alert's `severity` label. It is not query text (every alert has one), but it explains a document name's
    /// severity word: of a per-alert set's near-duplicates (`…LowDiskSpaceCritical`, `…LowDiskSpaceWarning`), the page
    /// named for the alert's own severity is its page.
    public var severity: String?

    public init(text: String, alertName: String? = nil, services: [String] = [], kinds: [DocumentKind]? = nil,
                limit: Int = 20, candidates: Int? = nil, components: [String] = [], links: [RunbookLink] = [],
                severity: String? = nil, subjects: [String] = []) {
        self.text = text; self.alertName = alertName; self.services = services; self.kinds = kinds; self.limit = limit
        self.candidates = candidates; self.components = components; self.links = links; self.severity = severity
        self.subjects = subjects
    }
}
