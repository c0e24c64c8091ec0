

/// The concrete topic names a deployment uses: the declared names behind an
/// optional prefix (`AIOPS_TOPIC_PREFIX`), so tests and several stacks can
/// share one cluster without seeing each other.
public struct TopicSet: Sendable, Hashable {
    public var prefix: String

    public init(prefix: String = "") { self.prefix = prefix }

    public func name(_ topic: TopicDescriptor) -> String { prefix + topic.name }
    public var alerts: String { name(Topics.alerts) }
    public var incidents: String { name(Topics.incidents) }
    public var corpus: String { name(Topics.corpus) }
    public var deadLetter: String { name(Topics.deadLetter) }

    /// All topics with their prefixed names.
    public var descriptors: [TopicDescriptor] {
        Topics.all.map { var t = $0; t.name = name($0); return t }
    }
}
