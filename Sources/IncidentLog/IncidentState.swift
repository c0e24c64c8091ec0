import Foundation

/// An incident as the fold of its events. Every daemon that needs history
/// (ingestor on restart, reasoner, approver, executor, the CLI) builds it the
/// same way. Applying an event twice is a no-op: redeliveries are harmless.
public struct IncidentState: Sendable, Hashable {
    public enum Status: String, Sendable, Hashable, Codable { case open, resolved }

    public struct Alert: Sendable, Hashable {
        public var fingerprint: String
        public var alertname: String
        public var firing: Bool
        public var startsAt: String
        public var endsAt: String?
        public var labels: [String: String]
        public var annotations: [String: String]
        /// The alerting rule's link (Prometheus puts its expression in `g0.expr`).
        public var generatorURL: String? = nil

        /// The alerting rule's expression from `generatorURL`, if it carries one.
        public var expression: String? { generatorURL.flatMap(GeneratorURL.expression) }
    }

    public let id: String
    public private(set) var status: Status = .open
    public private(set) var opened: IncidentOpened?
    public private(set) var openedAt: Date?
    public private(set) var resolvedAt: Date?
    public private(set) var lastEventAt: Date?
    /// Alerts by fingerprint, in the state their last event left them.
    public private(set) var alerts: [String: Alert] = [:]
    /// The latest retrieval for this incident: the only evidence later steps may cite.
    public private(set) var retrieval: RetrievalCompleted?
    /// The latest retrieval per problem (alert name; "" for a retrieval without one).
    public private(set) var retrievals: [String: RetrievalCompleted] = [:]
    /// Problems (alert names) handed to humans on their own; `escalated` is the whole incident.
    public private(set) var escalatedProblems: Set<String> = []
    /// Set once a daemon handed the incident to a human.
    public private(set) var escalated = false
    /// Events in log order, duplicates removed.
    public private(set) var events: [IncidentEvent] = []
    private var seen: Set<String> = []

    public init(id: String) { self.id = id }

    public init(id: String, events: some Sequence<IncidentEvent>) {
        self.init(id: id)
        for e in events { apply(e) }
    }

    public var title: String { opened?.title ?? id }
    public var firingAlerts: [Alert] { alerts.values.filter(\.firing).sorted { $0.fingerprint < $1.fingerprint } }

    /// Folds one event in; returns false when it was a duplicate (same event id) or for another incident.
    @discardableResult
    public mutating func apply(_ event: IncidentEvent) -> Bool {
        guard event.incidentID == id, seen.insert(event.eventID).inserted else { return false }
        events.append(event)
        lastEventAt = event.occurredAt
        switch event.payload {
        case .incidentOpened(let p):
            opened = p
            openedAt = event.occurredAt
            status = .open
        case .alertAttached(let p):
            alerts[p.fingerprint] = Alert(fingerprint: p.fingerprint, alertname: p.alertname, firing: true,
                                          startsAt: p.startsAt, endsAt: nil, labels: p.labels,
                                          annotations: p.annotations, generatorURL: p.generatorURL)
        case .alertResolved(let p):
            if var a = alerts[p.fingerprint] {
                a.firing = false
                a.endsAt = p.endsAt
                alerts[p.fingerprint] = a
            }
        case .incidentResolved:
            status = .resolved
            resolvedAt = event.occurredAt
        case .retrievalCompleted(let p):
            retrieval = p
            retrievals[p.alertname ?? ""] = p
        case .incidentEscalated(let p):
            if let name = p.alertname { escalatedProblems.insert(name) } else { escalated = true }
        case .actionApproved, .actionStarted, .actionExecuted, .actionFailed, .actionOutcomeUnknown,
             .actionProposed, .approvalRequested, .actionRejected, .approvalExpired, .triageProposed, .triageFeedback:
            break
        case .unknown:
            break
        }
        return true
    }

    public func hasApplied(eventID: String) -> Bool { seen.contains(eventID) }
}

/// Many incidents folded from one stream of events.
public struct IncidentLogFold: Sendable {
    public private(set) var incidents: [String: IncidentState] = [:]
    public private(set) var duplicates = 0

    public init() {}

    @discardableResult
    public mutating func apply(_ event: IncidentEvent) -> Bool {
        var state = incidents[event.incidentID] ?? IncidentState(id: event.incidentID)
        let applied = state.apply(event)
        if applied { incidents[event.incidentID] = state } else { duplicates += 1 }
        return applied
    }

    /// Incidents, most recently active first.
    public var sorted: [IncidentState] {
        incidents.values.sorted { ($0.lastEventAt ?? .distantPast) > ($1.lastEventAt ?? .distantPast) }
    }
}
