import DaemonRuntime
import Foundation
import IncidentLog
import OperatorCLI
import TestSupport
import Testing
import Yams

/// The Kafka principals and ACLs shipped in deploy/ and for compose are the
/// rendering of `KafkaAccess`, which is derived from who owns which event type
/// and who consumes as which group; compose gives each daemon its own
/// principal over SASL_SSL.
@Suite("Kafka principals and ACLs")
struct KafkaAccessTests {
    static let repo = TestSchemas.repositoryRoot
    static let topics = TopicSet()
    static let principals = KafkaAccess.principals(topics: topics)

    static func grants(_ name: String) -> [KafkaGrant] {
        principals.first { $0.name == KafkaAccess.principal(name) }?.grants ?? []
    }
    static func holders(_ resource: KafkaGrant.Resource, _ name: String, _ op: KafkaOperation) -> Set<String> {
        Set(principals.filter { p in
            p.grants.contains { $0.resource == resource && !$0.prefixed && $0.name == name && $0.operations.contains(op) }
        }.map(\.name))
    }

    @Test func shippedFilesAreTheRendering() throws {
        let strimzi = try String(contentsOf: Self.repo.appendingPathComponent("deploy/kafka/kafka-users.yaml"), encoding: .utf8)
        #expect(strimzi == KafkaACLDocument.render(.strimzi, topics: Self.topics),
                "regenerate with: aiops topics acls --format strimzi > deploy/kafka/kafka-users.yaml")
        let script = try String(contentsOf: Self.repo.appendingPathComponent("deploy/compose/kafka/acls.sh"), encoding: .utf8)
        #expect(script == KafkaACLDocument.render(.script, topics: Self.topics),
                "regenerate with: aiops topics acls --format script > deploy/compose/kafka/acls.sh")
        // Strimzi reads it: every document is a KafkaUser with ACLs.
        let docs = try Yams.load_all(yaml: strimzi).compactMap { $0 as? [String: Any] }
        #expect(docs.count == Self.principals.count)
        #expect(docs.allSatisfy { $0["kind"] as? String == "KafkaUser" })
    }

    @Test func eachPrincipalMayDoWhatItsDaemonDoesAndNoMore() {
        // The incident log is written by exactly the producers that own an event type.
        let owners = Set(EventOwnership.owners.values.flatMap { $0 }.map(KafkaAccess.principal))
        #expect(Self.holders(.topic, Self.topics.incidents, .write) == owners)
        #expect(Self.holders(.topic, Self.topics.corpus, .write) == [KafkaAccess.principal(EventOwnership.corpusSync)])
        #expect(Self.holders(.topic, Self.topics.alerts, .write) == [KafkaAccess.principal(EventOwnership.ingestor)])
        // Each consumer group is read by one daemon, which may read its topic and dead-letter.
        for group in DaemonGroup.allCases {
            let readers = Self.holders(.group, group.rawValue, .read)
            #expect(readers.count == 1, "\(group.rawValue): \(readers)")
            let topic = DaemonGroup.readsCorpus(group.rawValue) ? Self.topics.corpus : Self.topics.incidents
            for r in readers {
                #expect(Self.holders(.topic, topic, .read).contains(r), "\(r) reads as \(group.rawValue) but not \(topic)")
                #expect(Self.holders(.topic, Self.topics.deadLetter, .write).contains(r))
            }
            // The exporter sees every group's progress without being able to consume as it.
            #expect(Self.grants("exporter").contains { $0.resource == .group && $0.name == group.rawValue && $0.operations == [.describe] })
        }
        #expect(Self.holders(.group, DaemonGroup.approverNotify.rawValue, .read) == [KafkaAccess.principal("approver")])
        // The embedder writes no incident event; read-only tools write nothing.
        #expect(!Self.grants("embedder").contains { $0.name == Self.topics.incidents })
        for tool in ["exporter", "operator"] {
            #expect(Self.grants(tool).allSatisfy { !$0.operations.contains(.write) && !$0.operations.contains(.create) })
        }
        // Only the topics tool creates, and only aiops topics.
        #expect(Self.principals.filter { $0.grants.contains { $0.operations.contains(.create) } }.map(\.name) == [KafkaAccess.principal("topics")])
        // A prefix keeps a stack's principals to its own topics.
        let prefixed = KafkaAccess.principals(topics: TopicSet(prefix: "staging."))
        #expect(prefixed.allSatisfy { $0.grants.filter { $0.resource == .topic }.allSatisfy { $0.name.hasPrefix("staging.aiops.") } })
    }

    @Test func composeGivesEveryDaemonItsOwnPrincipalOverSASLSSL() throws {
        let compose = try Yams.load(yaml: String(contentsOf: Self.repo.appendingPathComponent("compose.yaml"), encoding: .utf8))
        let services = (compose as? [String: Any])?["services"] as? [String: Any] ?? [:]
        let names = Set(Self.principals.map(\.name))
        var mounted: [String: String] = [:]
        for (service, value) in services {
            guard let s = value as? [String: Any], (s["image"] as? String)?.hasPrefix("aiops") == true,
                  s["environment"] != nil else { continue }
            let env = s["environment"] as? [String: Any] ?? [:]
            #expect(env["KAFKA_PROPERTIES_FILE"] as? String == "/run/secrets/kafka.properties", "\(service) connects without SASL")
            let volumes = s["volumes"] as? [String] ?? []
            let own = volumes.compactMap { v -> String? in
                guard v.hasSuffix(":/run/secrets/kafka.properties:ro"), let file = v.split(separator: ":").first else { return nil }
                return String(file.split(separator: "/").last ?? "").replacingOccurrences(of: ".properties", with: "")
            }
            #expect(own.count == 1, "\(service) mounts \(own)")
            if let p = own.first {
                #expect(names.contains(p), "\(service) connects as \(p), which has no ACLs")
                #expect(mounted[p] == nil, "\(service) and \(mounted[p] ?? "") share \(p)")
                mounted[p] = service
            }
            #expect(volumes.contains("./.kafka/ca.crt:/etc/kafka-ca/ca.crt:ro"), "\(service) does not trust the broker's CA")
            #expect(!volumes.contains { $0.hasPrefix("./.kafka:") }, "\(service) sees every principal's password")
        }
        for daemon in ["alert-ingestor", "embedder", "retriever", "reasoner", "approver", "executor", "exporter", "topics"] {
            #expect(mounted[KafkaAccess.principal(daemon)] != nil, "no compose service connects as aiops-\(daemon)")
        }
        // The broker listens for clients over SASL_SSL only.
        let start = try String(contentsOf: Self.repo.appendingPathComponent("deploy/compose/kafka/start.sh"), encoding: .utf8)
        #expect(start.contains("listeners=SASL_SSL://:9092,BROKER://127.0.0.1:9094,CONTROLLER://127.0.0.1:9093"))
        #expect(start.contains("allow.everyone.if.no.acl.found=false"))
    }

    /// The generated script, run with recording stand-ins for Kafka's two tools (no Kafka broker runs
    /// here): one SCRAM user per principal with the password from its file, one `kafka-acls.sh --add`
    /// per grant with the operations and pattern type Kafka's tool takes.
    @Test func theScriptCreatesEachUserAndItsACLs() async throws {
        let dir = TestScratch.directory("kafka-acls")
        let bin = dir.appendingPathComponent("bin"), secrets = dir.appendingPathComponent("secrets")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: secrets, withIntermediateDirectories: true)
        let calls = dir.appendingPathComponent("calls").path
        for tool in ["kafka-configs.sh", "kafka-acls.sh"] {
            let path = bin.appendingPathComponent(tool).path
            try "#!/bin/sh\necho \"\(tool) $*\" >> \(calls)\n".write(toFile: path, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        }
        for p in Self.principals { try "pw-\(p.name)".write(to: secrets.appendingPathComponent("\(p.name).password"), atomically: true, encoding: .utf8) }
        let script = Self.repo.appendingPathComponent("deploy/compose/kafka/acls.sh").path
        let listed = try await TestCommand.run("/bin/bash", [script, "principals"], environment: ["PATH": "/usr/bin:/bin"])
        #expect(String(decoding: listed.stdout, as: UTF8.self) == Self.principals.map { $0.name + "\n" }.joined())
        let applied = try await TestCommand.run("/bin/bash", [script, "apply"], environment: [
            "PATH": bin.path + ":/usr/bin:/bin", "BOOTSTRAP": "127.0.0.1:9094", "SECRETS": secrets.path])
        #expect(applied.status == 0, "\(applied.stderr)")
        let lines = try String(contentsOfFile: calls, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines.filter { $0.hasPrefix("kafka-configs.sh") }.count == Self.principals.count)
        #expect(lines.filter { $0.hasPrefix("kafka-acls.sh") }.count == Self.principals.map(\.grants.count).reduce(0, +))
        #expect(lines.contains("kafka-configs.sh --bootstrap-server 127.0.0.1:9094 --alter --entity-type users --entity-name aiops-retriever --add-config SCRAM-SHA-512=[password=pw-aiops-retriever]"))
        #expect(lines.contains("kafka-acls.sh --bootstrap-server 127.0.0.1:9094 --add --allow-principal User:aiops-retriever --group aiops-retriever --resource-pattern-type literal --operation Read"))
        #expect(lines.contains("kafka-acls.sh --bootstrap-server 127.0.0.1:9094 --add --allow-principal User:aiops-exporter --topic aiops. --resource-pattern-type prefixed --operation Read --operation Describe"))
        let missing = try await TestCommand.run("/bin/bash", [script, "apply"], environment: ["PATH": bin.path + ":/usr/bin:/bin"])
        #expect(missing.status != 0 && missing.stderr.contains("BOOTSTRAP"))
    }

    /// compose's secrets: a broker certificate for "kafka" signed by a CA of its own, and per principal a
    /// password and the KAFKA_PROPERTIES a daemon reads. keytool is the Kafka image's (scripts/bootstrap.sh installs it).
    @Test(.enabled(if: (FileManager.default.isExecutableFile(atPath: "/usr/bin/keytool")
                        && FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl"))
                   || ProcessInfo.processInfo.environment["CI"] != nil))
    func theSecretsScriptMakesACertificateAndAPrincipalsProperties() async throws {
        let dir = TestScratch.directory("kafka-secrets").appendingPathComponent("out")
        let script = Self.repo.appendingPathComponent("deploy/compose/kafka/secrets.sh").path
        let made = try await TestCommand.run("/bin/bash", [script, dir.path], environment: ["PATH": "/usr/bin:/bin"])
        #expect(made.status == 0, "\(made.stderr)")
        let verify = try await TestCommand.run("/usr/bin/openssl", ["pkcs12", "-in", dir.appendingPathComponent("kafka.p12").path,
            "-passin", "file:" + dir.appendingPathComponent("kafka.keystore.password").path, "-nokeys", "-clcerts"], environment: [:])
        let cert = dir.appendingPathComponent("kafka.crt.pem")
        try verify.stdout.write(to: cert)
        let chain = try await TestCommand.run("/usr/bin/openssl", ["verify", "-CAfile", dir.appendingPathComponent("ca.crt").path,
                                                                   "-verify_hostname", "kafka", cert.path], environment: [:])
        #expect(chain.status == 0, "\(String(decoding: chain.stdout, as: UTF8.self)) \(chain.stderr)")
        let properties = try String(contentsOf: dir.appendingPathComponent("aiops-executor.properties"), encoding: .utf8)
        let parsed = try CommonConfiguration.parseProperties(properties)
        #expect(parsed["security.protocol"] == "SASL_SSL" && parsed["sasl.mechanism"] == "SCRAM-SHA-512")
        #expect(parsed["sasl.username"] == "aiops-executor" && parsed["ssl.ca.location"] == "/etc/kafka-ca/ca.crt")
        let password = try String(contentsOf: dir.appendingPathComponent("aiops-executor.password"), encoding: .utf8)
        #expect(parsed["sasl.password"] == password.trimmingCharacters(in: .whitespacesAndNewlines) && password.count >= 32)
        // Run again: nothing is remade.
        let again = try await TestCommand.run("/bin/bash", [script, dir.path], environment: ["PATH": "/usr/bin:/bin"])
        #expect(String(decoding: again.stdout, as: UTF8.self).contains("already"))
    }

    /// deploy/overlays/sasl: every workload of deploy/base that talks to Kafka reads its own principal's Secret.
    /// Needs kubectl (this machine's image has it; CI's Debian may not).
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/kubectl")))
    func theKubernetesOverlayGivesEveryWorkloadItsOwnPrincipal() async throws {
        let rendered = try await TestCommand.run("/usr/bin/kubectl", ["kustomize", Self.repo.appendingPathComponent("deploy/overlays/sasl").path],
                                                 environment: ["PATH": "/usr/bin:/bin", "HOME": NSTemporaryDirectory()])
        #expect(rendered.status == 0, "\(rendered.stderr)")
        let docs = try Yams.load_all(yaml: String(decoding: rendered.stdout, as: UTF8.self)).compactMap { $0 as? [String: Any] }
        let names = Set(Self.principals.map(\.name))
        var seen: [String] = []
        for doc in docs where ["Deployment", "Job", "CronJob"].contains(doc["kind"] as? String ?? "") {
            var spec = doc["spec"] as? [String: Any] ?? [:]
            if let job = spec["jobTemplate"] as? [String: Any] { spec = job["spec"] as? [String: Any] ?? [:] }
            let pod = (spec["template"] as? [String: Any])?["spec"] as? [String: Any] ?? [:]
            let secrets = (pod["volumes"] as? [[String: Any]] ?? []).compactMap { ($0["secret"] as? [String: Any])?["secretName"] as? String }
                .filter { $0.hasPrefix("aiops-kafka-") }
            let name = (doc["metadata"] as? [String: Any])?["name"] as? String ?? "?"
            #expect(secrets.count == 1, "\(name): \(secrets)")
            let principal = String(secrets.first?.dropFirst("aiops-kafka-".count) ?? "")
            #expect(names.contains(principal), "\(name) connects as \(principal), which has no ACLs")
            for c in pod["containers"] as? [[String: Any]] ?? [] {
                let env = (c["env"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
                #expect(env.contains("KAFKA_PROPERTIES_FILE"), "\(name)")
            }
            seen.append(principal)
        }
        #expect(Set(seen).count == seen.count, "two workloads share a principal: \(seen)")
        #expect(seen.count == 9)
    }

    /// The operator's commands connect as the daemons do: KAFKA_PROPERTIES, or a file named by KAFKA_PROPERTIES_FILE.
    @Test func theCommandsReadTheKafkaPropertiesToo() async throws {
        let file = TestScratch.path("kafka-properties")
        try "not.a.property=x\n".write(to: file, atomically: true, encoding: .utf8)
        let fromFile = try await TestCommand.run(".build/debug/aiops", ["incidents"], environment: [
            "KAFKA_BROKERS": "127.0.0.1:1", "KAFKA_PROPERTIES": "", "KAFKA_PROPERTIES_FILE": file.path])
        #expect(fromFile.status != 0 && fromFile.stderr.contains("not.a.property"), "\(fromFile.stderr)")
        let inline = try await TestCommand.run(".build/debug/aiops", ["incidents"], environment: [
            "KAFKA_BROKERS": "127.0.0.1:1", "KAFKA_PROPERTIES": "security.protocol"])
        #expect(inline.status != 0 && inline.stderr.contains("KAFKA_PROPERTIES"), "\(inline.stderr)")
    }
}
