import Foundation

/// What the on-call said of a triage, attributed to them: it was `correct`, its
/// cause was wrong (`wrong_cause`, with the right cause or document if known),
/// it missed evidence (`missing_evidence`), or it cited something irrelevant
/// (`irrelevant_citation`). Written by the approver for an authenticated person.
public struct TriageFeedback: Sendable, Hashable, Codable {
    public enum Verdict: String, Sendable, Hashable, Codable, CaseIterable {
        case correct
        case wrongCause = "wrong_cause"
        case missingEvidence = "missing_evidence"
        case irrelevantCitation = "irrelevant_citation"
    }
    /// The TriageProposed event judged.
    public var triageEventID: String
    public var verdict: Verdict
    public var by: Approver
    /// The cause it really was (a postmortem id, or words) and the document that should have been cited.
    public var rightCause: String?
    public var rightDocument: String?
    public var note: String?

    public init(triageEventID: String, verdict: Verdict, by: Approver, rightCause: String? = nil, rightDocument: String? = nil,
                note: String? = nil) {
        self.triageEventID = triageEventID; self.verdict = verdict; self.by = by
        self.rightCause = rightCause; self.rightDocument = rightDocument; self.note = note
    }

    enum CodingKeys: String, CodingKey {
        case verdict, by, note
        case triageEventID = "triage_event_id", rightCause = "right_cause", rightDocument = "right_document"
    }
}
