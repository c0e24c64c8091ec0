import Foundation
import IncidentLog
import Kafka

/// What a consumer accepts: a record signed with a key the keyring trusts
/// and, on the incident log, an event whose envelope names that same
/// producer, of a type that producer owns, keyed by its own incident; on the
/// corpus topic, a record from `corpus-sync`. Everything else is rejected
/// with the reason (the consume loop dead-letters it; state rebuilds skip it).
public struct RecordAuthenticator: Sendable {
    public let verifier: RecordVerifier
    public let topics: TopicSet

    public init(keyring: Keyring, topics: TopicSet) {
        verifier = RecordVerifier(keyring: keyring)
        self.topics = topics
    }

    /// Whether `check` accepts `message`. Not `(try? check(m)) != nil`: an accepted record off the incident log (a
    /// corpus record) has no event, and that test would take it for a rejected one.
    public func accepts(_ message: KafkaConsumerMessage) -> Bool {
        do { try check(message); return true } catch { return false }
    }

    /// Checks `message`; on the incident log, returns its event.
    @discardableResult
    public func check(_ message: KafkaConsumerMessage) throws(RecordRejection) -> IncidentEvent? {
        let producer = try verifier.verify(message)
        if message.topic == topics.corpus {
            guard producer == EventOwnership.corpusSync else {
                throw RecordRejection(.notOwner, "\(producer) may not write the corpus")
            }
            return nil
        }
        guard message.topic == topics.incidents else { return nil }
        let event: IncidentEvent
        do { event = try IncidentEventCodec.decode(message) } catch {
            throw RecordRejection(.invalidEvent, DecodingProblem.describe(error))
        }
        guard event.producer == producer else {
            throw RecordRejection(.wrongProducer, "signed by \(producer) but the envelope says \(event.producer)")
        }
        guard EventOwnership.mayWrite(producer, event.type) else {
            throw RecordRejection(.notOwner, "\(producer) may not write \(event.type)")
        }
        guard message.keyString == event.incidentID else {
            throw RecordRejection(.keyMismatch, "record key is not the event's incident id")
        }
        return event
    }
}

/// A decoding error as one line an operator can act on: `payload.request_id: not ev-<32 hex>`.
public enum DecodingProblem {
    public static func describe(_ error: Error) -> String {
        guard let e = error as? DecodingError else { return "\(error)" }
        func path(_ c: [CodingKey]) -> String {
            c.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        }
        switch e {
        case .dataCorrupted(let c): return c.codingPath.isEmpty ? c.debugDescription : "\(path(c.codingPath)): \(c.debugDescription)"
        case .keyNotFound(let k, let c): return "\(path(c.codingPath + [k])): missing"
        case .typeMismatch(_, let c): return "\(path(c.codingPath)): wrong type"
        case .valueNotFound(_, let c): return "\(path(c.codingPath)): null"
        @unknown default: return "\(e)"
        }
    }
}
