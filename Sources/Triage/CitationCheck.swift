import Actions
import Foundation
import IncidentLog

/// Keeps only citations that this incident's retrieval returned; steps left
/// without one are moved to `rejectedSteps` and never presented as evidence.
public enum CitationCheck {
    public static func validate(_ t: TriageProposed, allowed: Set<String>) -> TriageProposed {
        var out = t
        out.steps = []
        out.rejectedSteps = t.rejectedSteps
        for s in t.steps {
            let valid = s.citations.filter(allowed.contains)
            if valid.isEmpty { out.rejectedSteps.append(s) } else { out.steps.append(.init(text: s.text, citations: valid)) }
        }
        if let c = t.likelyCause {
            let valid = c.citations.filter(allowed.contains)
            out.likelyCause = valid.isEmpty ? nil : .init(text: c.text, confidence: c.confidence, citations: valid)
        }
        if let r = t.runbook, !allowed.contains(r) { out.runbook = nil }
        // A hypothesis stands on its own sections only when the retrieval returned them.
        out.hypotheses = t.hypotheses?.map { h in
            var h = h
            h.citations = h.citations.filter(allowed.contains)
            return h
        }
        return out
    }
}
