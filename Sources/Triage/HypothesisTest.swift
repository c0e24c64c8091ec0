import Actions
import Foundation
import IncidentLog

/// Tests the similar past incidents a retrieval returned against what the
/// diagnostics printed: each postmortem is a candidate cause, and the words an
/// output shares with one candidate's story but not with the others' are
/// evidence for it (weighted by how few candidates share them). A candidate is
/// supported when it explains clearly more of what was observed than any
/// other; otherwise nothing is decided and the closest in wording stays the
/// likely cause, marked as such. Pure; untrusted text is only counted, never run.
public enum HypothesisTest {
    public struct Observation: Sendable {
        public var requestID: String
        public var action: String
        public var output: String
        public init(requestID: String, action: String, output: String) {
            self.requestID = requestID; self.action = action; self.output = output
        }
    }

    public struct Outcome: Sendable {
        /// Best first.
        public var hypotheses: [Hypothesis]
        /// Index in `hypotheses` of the likely cause, if there is a candidate at all.
        public var chosen: Int?
        public var supported: Bool
        public var because: String
    }

    /// A measurement a postmortem declares as its cause's fingerprint (a "Signals" section, one per line:
    /// ``- `<PromQL>` above <number>`` or `below`): the query's highest value meeting the comparison supports
    /// that cause, missing it counts against it.
    public struct Signal: Sendable, Hashable {
        public var query: String
        public var above: Bool
        public var threshold: Double
        public func holds(_ v: Double) -> Bool { above ? v > threshold : v < threshold }
        public var text: String { "\(query) \(above ? "above" : "below") \(PrometheusRunner.format(threshold))" }
    }

    /// The signals declared in a section's text.
    public static func signals(in text: String) -> [Signal] {
        signalLine.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap { m in
            guard let q = Range(m.range(at: 1), in: text), let op = Range(m.range(at: 2), in: text),
                  let n = Range(m.range(at: 3), in: text), let v = Double(text[n]) else { return nil }
            return Signal(query: String(text[q]), above: text[op] == "above", threshold: v)
        }
    }

    static let signalLine = try! NSRegularExpression(
        pattern: #"^\s*[-*]\s*`([^`\n]{1,2000})`\s+(above|below)\s+(-?[0-9]+(?:\.[0-9]+)?)"#, options: [.anchorsMatchLines])

    /// A `prometheus` action's observation: its query and the highest last value of its series (nil: no series).
    static func measured(_ output: String) -> (query: String, value: Double?)? {
        guard output.hasPrefix("{"), let o = try? JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any],
              let query = o["query"] as? String, let series = o["series"] as? [[String: Any]] else { return nil }
        return (query, series.compactMap { $0["last"] as? Double }.max())
    }

    static let signalWeight = 4.0

    /// How much more the best candidate must explain than the next (and at least how much) to be supported.
    static let minimumScore = 2.5
    static let margin = 1.5

    public static func run(retrieval: RetrievalCompleted, observations: [Observation], alertText: String) -> Outcome {
        let candidates = retrieval.postmortems
        guard !candidates.isEmpty else {
            return Outcome(hypotheses: [], chosen: nil, supported: false, because: "no similar past incident was retrieved")
        }
        // Each candidate's story: its title and every section the retrieval carried.
        var texts: [String: [Citation]] = [:]
        for c in candidates { texts[c.documentID, default: []].append(c) }
        for s in retrieval.postmortemSections where texts[s.documentID] != nil { texts[s.documentID]!.append(s) }
        let known = tokens(alertText)
        let stories = candidates.map { c -> (Citation, [Citation], Set<String>) in
            let sections = texts[c.documentID] ?? [c]
            return (c, sections, tokens(([c.title] + sections.map { $0.text ?? "" }).joined(separator: "\n")))
        }
        var df: [String: Int] = [:]
        for (_, _, words) in stories { for w in words { df[w, default: 0] += 1 } }
        let n = Double(stories.count)
        func weight(_ w: String) -> Double { log(1 + n / Double(df[w] ?? 1)) }

        var scored: [(Hypothesis, Int)] = []
        for (rank, (c, sections, words)) in stories.enumerated() {
            var score = 0.0
            var evidence: [String] = []
            var against: [String] = []
            var matchedRequests: [String] = []
            var matchedSections: Set<String> = []
            let signalSections = sections.filter { $0.headingPath.lowercased().contains("signal") }
            let declared = signalSections.flatMap { signals(in: $0.text ?? "") }
            for o in observations {
                // A measurement: it counts only against the signals a candidate declared, never as words.
                if let m = measured(o.output) {
                    guard let signal = declared.first(where: { $0.query == m.query }) else { continue }
                    let shown = m.value.map(PrometheusRunner.format) ?? "no series"
                    if let v = m.value, signal.holds(v) {
                        score += signalWeight
                        evidence.append("\(o.action): \(m.query) = \(shown) (\(signal.above ? "above" : "below") \(PrometheusRunner.format(signal.threshold)))")
                        matchedRequests.append(o.requestID)
                        for s in signalSections { matchedSections.insert(s.chunkID) }
                    } else {
                        against.append("\(o.action): \(m.query) = \(shown), not \(signal.above ? "above" : "below") \(PrometheusRunner.format(signal.threshold))")
                    }
                    continue
                }
                // What this output says that the alert did not already say.
                // Words the output denies ("no pool or database warnings") are not what it observed.
                let seen = affirmed(o.output).subtracting(known).intersection(words).filter { (df[$0] ?? 0) < stories.count || stories.count == 1 }
                guard !seen.isEmpty else { continue }
                score += seen.reduce(0) { $0 + weight($1) }
                matchedRequests.append(o.requestID)
                evidence.append("\(o.action): " + seen.sorted { weight($0) != weight($1) ? weight($0) > weight($1) : $0 < $1 }
                    .prefix(6).joined(separator: ", "))
                for s in sections where !tokens(s.text ?? "").isDisjoint(with: seen) { matchedSections.insert(s.chunkID) }
            }
            let cites = sections.map(\.chunkID).filter(matchedSections.contains)
            // A declared signal that was measured and missed refutes the cause unless something else speaks for it.
            let status: Hypothesis.Status = !against.isEmpty && score == 0 ? .refuted : .unknown
            scored.append((Hypothesis(cause: c.documentID, title: c.title, status: status, score: (score * 100).rounded() / 100,
                                      evidenceFor: evidence, evidenceAgainst: against, citations: cites.isEmpty ? [c.chunkID] : cites,
                                      observations: matchedRequests), rank))
        }
        // Best explanation first; the retrieval's order breaks ties.
        scored.sort { $0.0.score != $1.0.score ? $0.0.score > $1.0.score : $0.1 < $1.1 }
        var hypotheses = scored.map(\.0)
        let best = hypotheses[0].score
        let second = hypotheses.count > 1 ? hypotheses[1].score : 0
        if observations.isEmpty {
            let top = hypotheses.firstIndex { $0.cause == candidates[0].documentID } ?? 0
            return Outcome(hypotheses: hypotheses, chosen: top, supported: false,
                           because: "no diagnostic output to test the candidates against: the closest past incident in wording")
        }
        if best >= minimumScore && best >= margin * second + 0.5 {
            hypotheses[0].status = .supported
            for i in hypotheses.indices.dropFirst() where hypotheses[i].score < best / 3 {
                hypotheses[i].status = .refuted
                hypotheses[i].evidenceAgainst.append("the diagnostics showed little of it (\(hypotheses[i].score) against \(best) for \(hypotheses[0].title))")
            }
            return Outcome(hypotheses: hypotheses, chosen: 0, supported: true,
                           because: "the diagnostics observed what \(hypotheses[0].title) left behind (\(hypotheses[0].evidenceFor.joined(separator: "; "))), clearly more than any other candidate (\(best) against \(second))")
        }
        // Not clearly supported: the candidate the diagnostics lean towards, if they lean at all, else the closest in
        // wording; either way not confirmed.
        if best > second {
            return Outcome(hypotheses: hypotheses, chosen: 0, supported: false,
                           because: "the diagnostics lean towards \(hypotheses[0].title) (\(hypotheses[0].evidenceFor.joined(separator: "; "))) but do not single it out (\(best) against \(second))")
        }
        let top = hypotheses.firstIndex { $0.cause == candidates[0].documentID } ?? 0
        return Outcome(hypotheses: hypotheses, chosen: top, supported: false,
                       because: best == 0
                           ? "nothing the diagnostics printed matches any candidate: the closest past incident in wording"
                           : "the diagnostics did not single out one candidate (\(best) against \(second)): the closest past incident in wording")
    }

    /// The tokens of `text` minus those it denies: from "no", "not", "without", "never" or "none" to the end of
    /// that clause (a comma, semicolon, full stop or line end), and a condition reported false, as Kubernetes and
    /// many tools print them (`DiskPressure False`, `ready=false`).
    static func affirmed(_ text: String) -> Set<String> {
        var denied = ""
        var kept = ""
        let negators: Set<String> = ["no", "not", "without", "never", "none", "zero"]
        for clause in text.split(whereSeparator: { ",;.\n()".contains($0) }) {
            let words = clause.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "'") })
            let lower = words.map { $0.lowercased() }
            if let i = lower.firstIndex(where: { negators.contains($0) || $0.hasSuffix("n't") }) {
                denied += " " + words[(i + 1)...].joined(separator: " ")
            }
            // `DiskPressure  False  KubeletHasNoDiskPressure …`: a condition reported false, with its reason and message,
            // is not observed (its words may still be, elsewhere).
            let end = lower.indices.dropFirst().first { lower[$0] == "false" }.map { $0 - 1 } ?? words.endIndex
            for word in words[..<end] {
                // `KubeletHasNoDiskPressure`: the parts after a `No` or `Not` are denied.
                let parts = camelParts(word)
                if let i = parts.firstIndex(where: { ["no", "not"].contains($0.lowercased()) }), i + 1 < parts.count {
                    denied += " " + parts[(i + 1)...].joined(separator: " ")
                    kept += " " + parts[..<i].joined(separator: " ")
                } else {
                    kept += " " + word
                }
            }
        }
        return tokens(kept).subtracting(tokens(denied))
    }

    /// Lowercase words of at least three characters (hyphenated, snake_case and CamelCase ones also as their
    /// parts: `DiskPressure` is also disk and pressure), numbers of at least three digits, without the most common
    /// English and log words.
    static func tokens(_ text: String) -> Set<String> {
        var out: Set<String> = []
        for raw in text.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) {
            let original = raw.trimmingCharacters(in: CharacterSet(charactersIn: "-_"))
            let word = original.lowercased()
            guard word.count >= 3 else { continue }
            if !stopwords.contains(word) && !(word.allSatisfy(\.isNumber) && word.count < 3) { out.insert(stem(word)) }
            for piece in original.split(whereSeparator: { $0 == "-" || $0 == "_" }) {
                let parts = camelParts(piece)
                // A piece that is its own word was counted above (or is the whole word).
                guard parts.count > 1 || piece.count < original.count else { continue }
                for part in parts.map({ $0.lowercased() }) where part.count >= 3 && !stopwords.contains(part) { out.insert(stem(part)) }
            }
        }
        return out
    }

    /// A word without its inflection, so that "deployed", "deploys" and "deploy" are one word: a plural s, -es,
    /// -ed and -ing go when at least four letters stay.
    static func stem(_ word: String) -> String {
        guard word.count >= 5, word.last?.isLetter == true else { return word }
        for suffix in ["ing", "ed", "es", "s"] where word.hasSuffix(suffix) && word.count - suffix.count >= 4 {
            if suffix == "s" && (word.hasSuffix("ss") || word.hasSuffix("us") || word.hasSuffix("is")) { return word }
            return String(word.dropLast(suffix.count))
        }
        return word
    }

    /// `KubeletHasDiskPressure` → Kubelet, Has, Disk, Pressure; `OOMKilled` → OOM, Killed; `http2Server` → http2, Server.
    static func camelParts(_ word: Substring) -> [Substring] {
        let chars = Array(word.indices)
        var parts: [Substring] = []
        var start = word.startIndex
        for (k, i) in chars.enumerated() where k > 0 {
            let prev = word[chars[k - 1]], c = word[i]
            let next = k + 1 < chars.count ? word[chars[k + 1]] : nil
            // a lower letter or digit then an upper one, or the last upper of an acronym before a lower one
            if c.isUppercase && (prev.isLowercase || prev.isNumber || (prev.isUppercase && next?.isLowercase == true)) {
                parts.append(word[start..<i])
                start = i
            }
        }
        parts.append(word[start...])
        return parts
    }

    static let stopwords: Set<String> = [
        "the", "and", "for", "with", "that", "this", "from", "was", "were", "are", "has", "had", "have", "not", "but", "its",
        "into", "after", "before", "than", "then", "when", "which", "while", "all", "any", "each", "every", "one", "two", "our",
        "out", "over", "per", "all", "can", "could", "did", "does", "more", "most", "new", "old", "only", "other", "same",
        "some", "such", "their", "them", "they", "there", "these", "those", "too", "under", "until", "very", "what", "who",
        "why", "will", "would", "you", "your", "info", "warn", "warning", "error", "debug", "log", "ms", "running", "pods",
        "pod", "minutes", "seconds", "hours", "since", "took", "still", "about", "also", "again", "between", "during", "without",
        "true", "false",
    ]
}

