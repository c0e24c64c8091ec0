import Crypto
import DaemonRuntime
import Foundation
import IncidentLog

/// The invariants a run must keep, checked on what the log says afterwards
/// (`aiops chaos`): nothing lost, nothing doubled, nothing run without a valid
/// approval, nothing stuck, every bad record dead-lettered. Pure: it reads
/// authentic incident events, dead letters and what the load generator knows
/// it sent.
public struct LogCheck: Sendable {
    /// What the load generator knows.
    public struct Sent: Sendable {
        /// Alert ids (`EventIDs.alert`) of firing alerts in requests the ingestor answered 200.
        public var acceptedAlertIDs: Set<String>
        /// Values of the bad records put on the incident log.
        public var injected: [[UInt8]]
        public init(acceptedAlertIDs: Set<String>, injected: [[UInt8]]) {
            self.acceptedAlertIDs = acceptedAlertIDs; self.injected = injected
        }
    }

    public struct Report: Sendable, Codable {
        public var alertsAccepted = 0
        public var alertsLost = 0
        public var incidents = 0
        public var problems = 0
        public var retrievalsDoubled = 0
        public var triagesDoubled = 0
        public var startedWithoutValidApproval = 0
        public var destructiveStartedTwice = 0
        public var deadLetteredWithoutEscalation = 0
        public var stuck = 0
        public var injected = 0
        public var injectedNotDeadLettered = 0
        public var daemonsDown: [String] = []
        public var deadLettersByReason: [String: Int] = [:]
        public var examples: [String] = []

        public var ok: Bool {
            alertsLost == 0 && retrievalsDoubled == 0 && triagesDoubled == 0 && startedWithoutValidApproval == 0
                && destructiveStartedTwice == 0 && deadLetteredWithoutEscalation == 0 && stuck == 0
                && injectedNotDeadLettered == 0 && daemonsDown.isEmpty
        }

        enum CodingKeys: String, CodingKey {
            case ok
            case alertsAccepted = "alerts_accepted", alertsLost = "lost", incidents, problems
            case retrievalsDoubled = "retrievals_doubled", triagesDoubled = "triages_doubled"
            case startedWithoutValidApproval = "unapproved", destructiveStartedTwice = "destructive_twice"
            case deadLetteredWithoutEscalation = "dead_lettered_without_escalation", stuck, injected
            case injectedNotDeadLettered = "injected_not_dead_lettered", daemonsDown = "daemons_down"
            case deadLettersByReason = "dead_letters_by_reason", examples
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(ok, forKey: .ok)
            try c.encode(alertsAccepted, forKey: .alertsAccepted); try c.encode(alertsLost, forKey: .alertsLost)
            try c.encode(incidents, forKey: .incidents); try c.encode(problems, forKey: .problems)
            try c.encode(retrievalsDoubled, forKey: .retrievalsDoubled); try c.encode(triagesDoubled, forKey: .triagesDoubled)
            try c.encode(startedWithoutValidApproval, forKey: .startedWithoutValidApproval)
            try c.encode(destructiveStartedTwice, forKey: .destructiveStartedTwice)
            try c.encode(deadLetteredWithoutEscalation, forKey: .deadLetteredWithoutEscalation)
            try c.encode(stuck, forKey: .stuck); try c.encode(injected, forKey: .injected)
            try c.encode(injectedNotDeadLettered, forKey: .injectedNotDeadLettered)
            try c.encode(daemonsDown, forKey: .daemonsDown); try c.encode(deadLettersByReason, forKey: .deadLettersByReason)
            try c.encode(examples, forKey: .examples)
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            alertsAccepted = try c.decode(Int.self, forKey: .alertsAccepted); alertsLost = try c.decode(Int.self, forKey: .alertsLost)
            incidents = try c.decode(Int.self, forKey: .incidents); problems = try c.decode(Int.self, forKey: .problems)
            retrievalsDoubled = try c.decode(Int.self, forKey: .retrievalsDoubled)
            triagesDoubled = try c.decode(Int.self, forKey: .triagesDoubled)
            startedWithoutValidApproval = try c.decode(Int.self, forKey: .startedWithoutValidApproval)
            destructiveStartedTwice = try c.decode(Int.self, forKey: .destructiveStartedTwice)
            deadLetteredWithoutEscalation = try c.decode(Int.self, forKey: .deadLetteredWithoutEscalation)
            stuck = try c.decode(Int.self, forKey: .stuck); injected = try c.decode(Int.self, forKey: .injected)
            injectedNotDeadLettered = try c.decode(Int.self, forKey: .injectedNotDeadLettered)
            daemonsDown = try c.decode([String].self, forKey: .daemonsDown)
            deadLettersByReason = try c.decode([String: Int].self, forKey: .deadLettersByReason)
            examples = try c.decode([String].self, forKey: .examples)
        }

        public init() {}

        /// The report as a table, one invariant per line.
        public var table: String {
            let rows: [(String, String, Bool)] = [
                ("alerts accepted", "\(alertsAccepted)", true),
                ("alerts lost (accepted, never attached)", "\(alertsLost)", alertsLost == 0),
                ("incidents / problems (alert names)", "\(incidents) / \(problems)", true),
                ("retrievals doubled", "\(retrievalsDoubled)", retrievalsDoubled == 0),
                ("triages doubled", "\(triagesDoubled)", triagesDoubled == 0),
                ("actions started without a valid approval", "\(startedWithoutValidApproval)", startedWithoutValidApproval == 0),
                ("destructive actions started twice", "\(destructiveStartedTwice)", destructiveStartedTwice == 0),
                ("dead-lettered inputs without escalation", "\(deadLetteredWithoutEscalation)", deadLetteredWithoutEscalation == 0),
                ("problems stuck (open, no triage, no escalation)", "\(stuck)", stuck == 0),
                ("bad records injected / not dead-lettered", "\(injected) / \(injectedNotDeadLettered)", injectedNotDeadLettered == 0),
                ("daemons not running at the end", daemonsDown.isEmpty ? "0" : daemonsDown.joined(separator: ", "), daemonsDown.isEmpty),
            ]
            var out = rows.map { "\($0.2 ? "ok  " : "FAIL")  \($0.0.padding(toLength: 50, withPad: " ", startingAt: 0)) \($0.1)" }
            out.append("      dead letters by reason: " + (deadLettersByReason.isEmpty ? "none"
                : deadLettersByReason.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")))
            out += examples.prefix(10).map { "      e.g. \($0)" }
            return out.joined(separator: "\n")
        }
    }

    public let keyring: Keyring
    public init(keyring: Keyring) { self.keyring = keyring }

    public func check(events: [IncidentEvent], deadLetters: [DeadLetter], sent: Sent, daemonsDown: [String] = []) -> Report {
        var r = Report()
        r.daemonsDown = daemonsDown
        var fold = IncidentLogFold()
        for e in events { fold.apply(e) }
        let unique = fold.incidents.values.flatMap(\.events)
        r.incidents = fold.incidents.count
        func note(_ s: String) { if r.examples.count < 20 { r.examples.append(s) } }

        // Lost: accepted firing alerts never attached to an incident.
        let attached = Set(unique.compactMap { e -> String? in
            if case .alertAttached(let a) = e.payload { a.alertID } else { nil }
        })
        r.alertsAccepted = sent.acceptedAlertIDs.count
        let lost = sent.acceptedAlertIDs.subtracting(attached)
        r.alertsLost = lost.count
        for id in lost.sorted().prefix(3) { note("lost alert \(id)") }

        // Per incident and alert name: one retrieval, at most one triage, and a triage or an escalation while open.
        for state in fold.incidents.values {
            var names = Set(state.alerts.values.map(\.alertname))
            if let n = state.opened?.labels["alertname"], !n.isEmpty { names.insert(n) }
            if names.isEmpty { names.insert("") }
            var retrievals: [String: Int] = [:]
            var triages: [String: Int] = [:]
            var escalated: Set<String> = []
            var incidentEscalated = false
            for e in state.events {
                switch e.payload {
                case .retrievalCompleted(let p): retrievals[p.alertname ?? "", default: 0] += 1
                case .triageProposed(let t): triages[t.alertname ?? "", default: 0] += 1
                case .incidentEscalated(let x):
                    if let n = x.alertname { escalated.insert(n) } else { incidentEscalated = true }
                default: break
                }
            }
            r.problems += names.count
            for name in names {
                let shown = name.isEmpty ? state.id : "\(state.id)/\(name)"
                if retrievals[name, default: 0] > 1 { r.retrievalsDoubled += 1; note("\(retrievals[name]!) retrievals for \(shown)") }
                if triages[name, default: 0] > 1 { r.triagesDoubled += 1; note("\(triages[name]!) triages for \(shown)") }
                let handled = triages[name, default: 0] > 0 || escalated.contains(name) || incidentEscalated
                if state.status == .open && !handled {
                    r.stuck += 1
                    note("stuck: \(shown) has \(retrievals[name, default: 0]) retrieval(s), no triage, no escalation")
                }
            }
        }

        // Actions: started only with a valid approval; a destructive one started once.
        var approvals: [String: (ActionApproved, String)] = [:]
        var starts: [String: [ActionStarted]] = [:]
        for e in unique {
            switch e.payload {
            case .actionApproved(let a): approvals[a.requestID] = (a, e.incidentID)
            case .actionStarted(let s): starts[s.requestID, default: []].append(s)
            default: break
            }
        }
        for (request, started) in starts {
            guard let (approval, incident) = approvals[request], approval.hasValidSignature(incidentID: incident, keyring: keyring) else {
                r.startedWithoutValidApproval += 1
                note("\(started[0].action) started for \(request) without a valid approval")
                continue
            }
            if started.count > 1 && started.contains(where: { $0.risk == "destructive" }) {
                r.destructiveStartedTwice += 1
                note("\(started[0].action) started \(started.count) times for \(request)")
            }
        }

        // Dead letters: by reason; an authentic input that was dead-lettered must have been answered.
        let answered = Set(unique.compactMap { e -> String? in
            switch e.payload {
            case .incidentEscalated, .retrievalCompleted: e.causationID
            default: nil
            }
        })
        for letter in deadLetters {
            let reason = letter.attempts == 0
                ? String(letter.error.prefix { $0 != ":" }).trimmingCharacters(in: .whitespaces)
                : "handler"
            r.deadLettersByReason[reason, default: 0] += 1
            guard letter.attempts > 0, let value = Data(base64Encoded: letter.valueBase64),
                  let event = try? JSONDecoder().decode(IncidentEvent.self, from: value) else { continue }
            let mustAnswer: Bool = switch event.payload {
            case .incidentOpened, .alertAttached, .retrievalCompleted, .actionProposed, .actionApproved, .actionExecuted,
                 .actionFailed, .actionRejected, .approvalExpired, .actionOutcomeUnknown: true
            default: false
            }
            if mustAnswer && !answered.contains(event.eventID) && fold.incidents[event.incidentID]?.status == .open {
                r.deadLetteredWithoutEscalation += 1
                note("\(event.type) \(event.eventID) dead-lettered by \(letter.consumerGroup) without an answer: \(letter.error.prefix(120))")
            }
        }

        // Every injected bad record is dead-lettered by at least one consumer, with its reason.
        let lettered = Set(deadLetters.compactMap(\.valueSHA256))
        r.injected = sent.injected.count
        for value in sent.injected where !lettered.contains(SHA256.hash(data: value).map { String(format: "%02x", $0) }.joined()) {
            r.injectedNotDeadLettered += 1
            note("an injected record (\(value.count) bytes) was not dead-lettered")
        }
        return r
    }
}
