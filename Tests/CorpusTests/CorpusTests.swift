import Foundation
@testable import Corpus
import IncidentLog
import Kafka
import TestSupport
import Testing

let handbook = TestSchemas.repositoryRoot.appendingPathComponent("examples/ops-handbook")

@Suite("Front matter and documents")
struct DocumentTests {
    @Test func parsesFrontMatter() throws {
        let text = """
            ---
            kind: runbook
            title: "Disk full"
            services: [orders-db]
            alerts: [PostgresDiskAlmostFull]
            ---
            # Disk full

            ## Diagnosis
            Check slots.
            """
        let (doc, warnings) = try CorpusDocument.parse(path: "runbooks/disk.md", text: text)
        #expect(warnings.isEmpty)
        #expect(doc.id == "runbooks/disk")
        #expect(doc.kind == .runbook)
        #expect(doc.alerts == ["PostgresDiskAlmostFull"])
        #expect(doc.bodyStartLine == 7)
        #expect(doc.contentHash.count == 64)
    }

    @Test func withoutFrontMatterTheKindComesFromThePathWithAWarning() throws {
        let (doc, warnings) = try CorpusDocument.parse(path: "team/postmortems/2025 Outage.md", text: "# Outage\n\nBad day.")
        #expect(doc.kind == .postmortem)
        #expect(doc.title == "Outage")
        #expect(doc.id == "team/postmortems/2025-outage")
        #expect(warnings.count == 1)
    }

    @Test func whereThePathNamesNoKindTheSectionHeadingsDo() throws {
        // OpenShift's collection: alerts/<component>/<AlertName>.md.
        let runbook = "# KubeAPIDown\n\n## Meaning\n\nThe API server is gone.\n\n## Impact\n\nNothing works.\n\n## Diagnosis\n\nCheck.\n"
        #expect(try CorpusDocument.parse(path: "alerts/cluster-kube-apiserver-operator/KubeAPIDown.md", text: runbook).0.kind == .runbook)
        // A collection published under docs/: the headings decide, and say so.
        let (doc, warnings) = try CorpusDocument.parse(path: "docs/apiserver/KubeAPIDown.md", text: runbook)
        #expect(doc.kind == .runbook)
        #expect(warnings.contains { $0.contains("inferred from its section headings") })
        // A story told with a timeline, a year per folder.
        let story = "# 2020-01-02 Ingress down\n\n## Summary\n\nDown.\n\n## Timeline (UTC)\n\n- 10:00 paged\n\n## Root cause\n\nA bad certificate.\n\n## Impact\n\nAll sites.\n"
        #expect(try CorpusDocument.parse(path: "2020/2020-01-02-ingress-down.md", text: story).0.kind == .postmortem)
        // One runbook heading, or headings inside a code block, are not enough.
        #expect(try CorpusDocument.parse(path: "docs/notes.md", text: "# Notes\n\n## Impact\n\nSome.\n").0.kind == .other)
        let fenced = "# Notes\n\n```\n## Meaning\n## Mitigation\n```\n"
        #expect(try CorpusDocument.parse(path: "docs/notes.md", text: fenced).0.kind == .other)
        // The path still decides first.
        #expect(try CorpusDocument.parse(path: "postmortems/x.md", text: runbook).0.kind == .postmortem)
    }

    @Test func aStaticSitesTomlFrontMatterGivesTheTitleAndIsNotText() throws {
        let text = "+++\ntitle = \"Kube Node Not Ready\"\nweight = 10\n+++\n\n# KubeNodeNotReady\n\nA node is not ready.\n"
        let (doc, warnings) = try CorpusDocument.parse(path: "runbooks/kubernetes/KubeNodeNotReady.md", text: text)
        #expect(doc.title == "Kube Node Not Ready")
        #expect(doc.kind == .runbook)
        #expect(!doc.body.contains("weight"))
        #expect(doc.bodyStartLine == 5)
        #expect(warnings.contains { $0.contains("TOML front matter") })
        // Without a title line the H1 names it; an unclosed block is text.
        #expect(try CorpusDocument.parse(path: "runbooks/a.md", text: "+++\nweight = 1\n+++\n# A\n").0.title == "A")
        #expect(try CorpusDocument.parse(path: "runbooks/b.md", text: "+++\n# B\n").0.body.contains("+++"))
    }

    @Test func withoutFrontMatterThePagesAlertsAreItsSectionsNamedAfterAlerts() throws {
        let text = """
            # Observatorium SOPs

            ## ThanosCompactIsDown

            ## ThanosQueryIsDown

            Check the targets.

            ### Impact

            ## `PostgreSQL_ReplicationLagTooLarge`

            ## walgBackupDelayed:

            ## Access Required

            ```
            ## NotAHeadingInCode
            ```
            ## ThanosQueryIsDown
            """
        let (doc, _) = try CorpusDocument.parse(path: "runbooks/sop.md", text: text)
        #expect(doc.alerts == ["ThanosCompactIsDown", "ThanosQueryIsDown", "PostgreSQL_ReplicationLagTooLarge", "walgBackupDelayed"])
        // Front matter that names the alerts is the list; one word, spaces or punctuation name no alert.
        let declared = "---\nalerts: [DiskFull]\n---\n# Disk\n\n## ThanosCompactIsDown\n"
        #expect(try CorpusDocument.parse(path: "runbooks/disk.md", text: declared).0.alerts == ["DiskFull"])
        for heading in ["Diagnosis", "Access Required", "kubectl", "Step-by-step", "Check pg_stat (replicas)", "1stLine"] {
            #expect(!CorpusDocument.isAlertName(heading), "\(heading)")
        }
    }

    @Test func aStaticSitesYamlFrontMatterWithKeysOfItsOwnGivesTheTitleAndTheKindComesFromThePath() throws {
        let text = "---\ntitle: Kube Pod Crash Looping\nweight: 20\n---\n# KubePodCrashLooping\n\n## Meaning\n\nA pod restarts.\n"
        let (doc, _) = try CorpusDocument.parse(path: "runbooks/kubernetes/KubePodCrashLooping.md", text: text)
        #expect(doc.title == "Kube Pod Crash Looping")
        #expect(doc.kind == .runbook)
        #expect(!doc.body.contains("weight"))
        #expect(CorpusDocument.titleText(title: doc.title, path: doc.path) == "Kube Pod Crash Looping")
    }

    @Test func aCommentInAShellBlockIsNotTheTitle() throws {
        let text = "## Logs\n\n```\n$ sudo su -\n# cd /var/log\n```\n\n# Registry\n"
        #expect(try CorpusDocument.parse(path: "runbooks/registry/gitlab-registry.md", text: text).0.title == "Registry")
        let noTitle = "Look here:\n\n~~~sh\n# disable caching\n~~~\n"
        #expect(try CorpusDocument.parse(path: "runbooks/pgbouncer/interactions.md", text: noTitle).0.title == "interactions")
    }

    @Test func theTitleTextAddsTheFileNameButNotAFolderPage() {
        #expect(CorpusDocument.titleText(title: "Pods restart", path: "runbooks/kubernetes/KubePodCrashLooping.md")
                == "Pods restart (Kube Pod Crash Looping)")
        // An H1 that is the alert name gets its words too (what an embedding can match "pod crash loop" with).
        #expect(CorpusDocument.titleText(title: "KubePodCrashLooping", path: "runbooks/KubePodCrashLooping.md")
                == "KubePodCrashLooping (Kube Pod Crash Looping)")
        #expect(CorpusDocument.titleText(title: "Kube Pod Crash Looping", path: "runbooks/kube-pod-crash-looping.md")
                == "Kube Pod Crash Looping")
        for page in ["README.md", "index.md", "_index.md"] {
            #expect(CorpusDocument.titleText(title: "Kubernetes", path: "runbooks/kubernetes/\(page)") == "Kubernetes")
        }
        // Acronyms end where the next word starts, as the query splits an alert name: the encoders see words.
        #expect(CorpusDocument.titleText(title: "CNPGClusterHACritical", path: "runbooks/CNPGClusterHACritical.md")
                == "CNPGClusterHACritical (CNPG Cluster HA Critical)")
        #expect(IdentifierWords.spaced("KubeAPIErrorBudgetBurn") == "Kube API Error Budget Burn")
        #expect(IdentifierWords.spaced("node_filesystem_avail_bytes") == "node filesystem avail bytes")
        #expect(IdentifierWords.spaced("etcdHTTPRequestsSlow") == "etcd HTTP Requests Slow")
    }

    @Test func setextHeadingsAreHeadingsAndATableOrAListIsNot() throws {
        let text = """
            CNPGClusterOffline
            ==================

            Meaning
            -------

            No instance of the cluster is ready.

            | metric | meaning |
            |--------|---------|
            | up     | scraped |

            - a list item
            --

            Diagnosis
            ---------

            ```
            not a heading
            -------------
            ```
            """
        let (doc, _) = try CorpusDocument.parse(path: "runbooks/cnpg/CNPGClusterOffline.md", text: text)
        #expect(doc.title == "CNPGClusterOffline")
        let chunks = Chunker().chunks(of: doc).filter { !$0.isWholePage }
        #expect(chunks.map(\.headingPath) == ["CNPGClusterOffline > Meaning", "CNPGClusterOffline > Diagnosis"])
        #expect(chunks[0].lineStart == 4 && chunks[1].lineStart == 16)
        #expect(chunks[0].content.contains("|--------|"), "a table's delimiter row is not an underline")
        #expect(chunks[0].content.contains("- a list item"))
        #expect(chunks[1].content.contains("not a heading"), "nor is a line in a fence")
        // A thematic break after a blank line is not an underline either.
        let rule = try CorpusDocument.parse(path: "runbooks/r.md", text: "# R\n\nText.\n\n---\n\nMore.\n").0
        #expect(Chunker().chunks(of: rule).map(\.headingPath) == ["R"])
    }

    @Test func brokenYAMLNamesFileAndLine() {
        let text = "---\nkind: runbook\ntitle: [unclosed\nservices: x\n---\n# T\n"
        do {
            _ = try CorpusDocument.parse(path: "runbooks/bad.md", text: text)
            Issue.record("accepted broken YAML")
        } catch {
            #expect(error.path == "runbooks/bad.md")
            #expect(error.line != nil && error.line! >= 3 && error.line! <= 5, "\(error)")
            #expect(error.description.hasPrefix("runbooks/bad.md:"))
        }
        #expect(throws: CorpusError.self) { try CorpusDocument.parse(path: "x.md", text: "---\nkind: runbook\n# never closed") }
        #expect(throws: CorpusError.self) { try CorpusDocument.parse(path: "x.md", text: "---\nkind: nonsense\n---\n") }
        #expect(throws: CorpusError.self) { try CorpusDocument.parse(path: "x.md", text: "---\nid: \"Bad Id!\"\n---\n") }
    }

    @Test func theExampleHandbookParsesAndIsBigEnough() throws {
        let files = try CorpusSync.scan(root: handbook)
        var kinds: [DocumentKind: Int] = [:]
        var ids: Set<String> = []
        for f in files {
            let (doc, _) = try CorpusDocument.parse(path: f.path, text: f.text)
            kinds[doc.kind, default: 0] += 1
            #expect(ids.insert(doc.id).inserted, "duplicate id \(doc.id)")
        }
        #expect(kinds[.postmortem, default: 0] >= 25)
        #expect(kinds[.runbook, default: 0] >= 40)
        #expect(kinds[.adr, default: 0] >= 5)
        #expect(kinds[.weeklyLog, default: 0] >= 20)
    }
}

@Suite("Chunking")
struct ChunkerTests {
    let doc = try! CorpusDocument.parse(path: "runbooks/x.md", text: """
        ---
        kind: runbook
        title: Kafka lag
        ---
        # Kafka lag

        Intro line.

        ## Diagnosis

        Look at the group.

        ```sh
        # not a heading inside a fence
        kafka-consumer-groups --describe
        ```

        ### Poison message

        One partition only.

        ## Mitigation

        Skip the record.
        """).0

    @Test func chunksFollowHeadingsWithPathsAndLines() {
        let chunks = Chunker().chunks(of: doc)
        #expect(chunks.map(\.headingPath) == ["Kafka lag", "Kafka lag > Diagnosis", "Kafka lag > Diagnosis > Poison message",
                                              "Kafka lag > Mitigation", "Kafka lag"])
        #expect(chunks.map(\.id) == ["runbooks/x#0", "runbooks/x#1", "runbooks/x#2", "runbooks/x#3", "runbooks/x#4"])
        #expect(chunks.map(\.isWholePage) == [false, false, false, false, true])
        #expect(chunks[1].content.contains("# not a heading inside a fence"))
        #expect(chunks[0].lineStart == 5)
        #expect(chunks[3].lineStart == 22 && chunks[3].lineEnd == 24)
        #expect(chunks[2].embeddingText.hasPrefix("Kafka lag > Diagnosis > Poison message\n"))
        #expect(Chunker().chunks(of: doc) == chunks) // deterministic
    }

    @Test func aShortPageOfSeveralSectionsIsAlsoOneChunkAndALongOneHasItsOpening() throws {
        let page = try #require(Chunker().chunks(of: doc).last)
        #expect(page.isWholePage && !page.isOpening && page.headingPath == "Kafka lag")
        #expect(page.lineStart == 5 && page.lineEnd == 24, "from the first section to the last")
        #expect(page.embeddingText.hasPrefix("Kafka lag\n") && page.content.contains("Look at the group.")
                && page.content.contains("Skip the record."))
        // Longer than `pageCharacters`: its first `pageCharacters`, a reading of the page but not a passage.
        let long = Chunker(pageCharacters: 100).chunks(of: doc)
        #expect(long.count == 5 && long.filter(\.isWholePage).count == 1)
        let opening = try #require(long.last)
        #expect(opening.isOpening && opening.isWholePage && opening.content.count == 100)
        #expect(opening.embeddingText.hasPrefix("Kafka lag\n") && opening.lineStart == 5 && opening.lineEnd < 24)
        #expect(doc.body.trimmingCharacters(in: .whitespacesAndNewlines).hasPrefix(opening.content))
        // A single short section: the section alone (it is the page); no opening for a past incident.
        let (single, _) = try CorpusDocument.parse(path: "runbooks/one.md", text: "# One\n\nJust a paragraph.\n")
        #expect(Chunker().chunks(of: single).map(\.isWholePage) == [false])
        let (story, _) = try CorpusDocument.parse(path: "postmortems/x.md", text: "# X\n\n## What happened\n\n"
            + String(repeating: "The queue grew. ", count: 200) + "\n\n## Why\n\nA bad deploy.\n")
        #expect(!Chunker().chunks(of: story).contains { $0.isWholePage })
    }

    @Test func longSectionsAreSplitWithOverlap() throws {
        let body = (1...60).map { "Line \($0) of a long diagnosis section with enough words to matter." }.joined(separator: "\n")
        let (long, _) = try CorpusDocument.parse(path: "runbooks/long.md", text: "---\nkind: runbook\ntitle: Long\n---\n## Steps\n" + body)
        let all = Chunker(maxCharacters: 800, overlapCharacters: 150).chunks(of: long)
        #expect(all.last?.isOpening == true, "a page this long also has its opening")
        let chunks = all.filter { !$0.isWholePage }
        #expect(chunks.count > 3)
        for c in chunks { #expect(c.content.count <= 800) }
        for (a, b) in zip(chunks, chunks.dropFirst()) {
            #expect(b.lineStart <= a.lineEnd, "windows overlap") // shared lines
            #expect(b.lineStart > a.lineStart, "and always move forward")
        }
        #expect(chunks.last!.lineEnd == 5 + 60)
    }
}

@Suite("Corpus sync planning")
struct SyncPlanTests {
    func file(_ path: String, _ title: String, id: String? = nil, body: String = "Body.") -> (path: String, text: String) {
        (path, "---\n\(id.map { "id: \($0)\n" } ?? "")kind: runbook\ntitle: \(title)\n---\n# \(title)\n\n\(body)\n")
    }

    func applied(_ plan: SyncPlan, to snapshot: CorpusSnapshot) -> CorpusSnapshot {
        var s = snapshot
        for e in plan.events { s.apply(e) }
        return s
    }

    @Test func onlyChangesArePublished() {
        let files = [file("runbooks/a.md", "A"), file("runbooks/b.md", "B")]
        let first = CorpusSync.plan(files: files, snapshot: CorpusSnapshot(), source: "t")
        #expect(first.upserts == 2)
        let s1 = applied(first, to: CorpusSnapshot())
        #expect(CorpusSync.plan(files: files, snapshot: s1, source: "t").events.isEmpty)

        let edited = [file("runbooks/a.md", "A", body: "Changed."), file("runbooks/b.md", "B")]
        let second = CorpusSync.plan(files: edited, snapshot: s1, source: "t")
        #expect(second.events.map(\.documentID) == ["runbooks/a"])
        #expect(second.unchanged == 1)

        let deleted = CorpusSync.plan(files: [file("runbooks/b.md", "B")], snapshot: s1, source: "t")
        #expect(deleted.events.map(\.type) == [.deleted])
        #expect(deleted.events.first?.documentID == "runbooks/a")
    }

    @Test func aSyncDeletesOnlyTheDocumentsOfItsOwnDirectory() {
        let team = applied(CorpusSync.plan(files: [file("runbooks/a.md", "A")], snapshot: CorpusSnapshot(), source: "/team"),
                           to: CorpusSnapshot())
        let both = applied(CorpusSync.plan(files: [file("runbooks/aiops-x.md", "X")], snapshot: team, source: "/aiops"), to: team)
        #expect(both.documents.keys.sorted() == ["runbooks/a", "runbooks/aiops-x"], "the team's handbook is left alone")
        let gone = CorpusSync.plan(files: [], snapshot: both, source: "/team")
        #expect(gone.events.map(\.documentID) == ["runbooks/a"])
    }

    @Test func renamesWithoutAnIdAreDeleteAndUpsertWithAnIdAnUpsert() {
        let s = applied(CorpusSync.plan(files: [file("runbooks/a.md", "A"), file("runbooks/k.md", "K", id: "keep")],
                                        snapshot: CorpusSnapshot(), source: "t"), to: CorpusSnapshot())
        let plan = CorpusSync.plan(files: [file("runbooks/renamed.md", "A"), file("runbooks/moved/k.md", "K", id: "keep")],
                                   snapshot: s, source: "t")
        let summary = Set(plan.events.map { "\($0.type.rawValue) \($0.documentID)" })
        #expect(summary == ["DocumentUpserted runbooks/renamed", "DocumentUpserted keep", "DocumentDeleted runbooks/a"])
    }

    @Test func aBrokenFileIsReportedSkippedAndKeepsItsLastGoodVersion() {
        let s = applied(CorpusSync.plan(files: [file("runbooks/a.md", "A"), file("runbooks/b.md", "B")],
                                        snapshot: CorpusSnapshot(), source: "t"), to: CorpusSnapshot())
        let broken = ("runbooks/a.md", "---\nkind: runbook\ntitle: [oops\n---\n# A\n")
        let plan = CorpusSync.plan(files: [broken, file("runbooks/b.md", "B", body: "New."), file("runbooks/c.md", "C")],
                                   snapshot: s, source: "t")
        #expect(plan.errors.count == 1)
        #expect(plan.errors.first?.path == "runbooks/a.md")
        #expect(plan.errors.first?.line != nil)
        #expect(Set(plan.events.map(\.documentID)) == ["runbooks/b", "runbooks/c"])
        #expect(!plan.events.contains { $0.type == .deleted })
    }

    @Test func duplicateIdsAreErrors() {
        let plan = CorpusSync.plan(files: [file("runbooks/a.md", "A", id: "same"), file("runbooks/b.md", "B", id: "same")],
                                   snapshot: CorpusSnapshot(), source: "t")
        #expect(plan.upserts == 1)
        #expect(plan.errors.count == 1)
    }

    @Test func corpusEventsMatchTheirSchema() throws {
        let plan = CorpusSync.plan(files: [file("runbooks/a.md", "A")], snapshot: CorpusSnapshot(), source: "t")
        let m = try plan.events[0].message(topics: TopicSet())
        let record = KafkaConsumerMessage(topic: m.topic, partition: 0, offset: 0, key: m.key, value: m.value)
        #expect(TestSchemas.violations(of: record, as: "CorpusEvent") == [])
        #expect(try CorpusEvent.decode(record) == plan.events[0])
    }
}
