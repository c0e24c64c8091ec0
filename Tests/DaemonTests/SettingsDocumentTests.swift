import Foundation
import OperatorCLI
import TestSupport
import Testing
import Yams

/// The daemons' settings are documented once: docs/configuration.md is their
/// rendering, and deploy/ and compose.yaml use no name a daemon does not read.
@Suite("Settings are documented once")
struct SettingsDocumentTests {
    static let repo = TestSchemas.repositoryRoot
    /// Names read by the operator CLI and the corpus-sync job, not by a daemon.
    static let cliNames: Set<String> = ["HANDBOOK_REPO", "INGESTOR_URL", "APPROVER_URL", "APPROVER_TOKEN"]

    @Test func configurationDocumentIsTheRendering() throws {
        let doc = try String(contentsOf: Self.repo.appendingPathComponent("docs/configuration.md"), encoding: .utf8)
        #expect(doc == SettingsDocument.markdown(), "regenerate with: aiops settings --markdown > docs/configuration.md")
    }

    @Test func deployAndComposeUseOnlyKnownNames() throws {
        let known = SettingsDocument.environmentNames.union(Self.cliNames)
        var used: [String: String] = [:]
        let deploy = Self.repo.appendingPathComponent("deploy/base")
        for file in try FileManager.default.contentsOfDirectory(atPath: deploy.path) where file.hasSuffix(".yaml") {
            let text = try String(contentsOf: deploy.appendingPathComponent(file), encoding: .utf8)
            for doc in try Yams.load_all(yaml: text) {
                Self.collect(doc, into: &used, file: file)
            }
        }
        let compose = try Yams.load(yaml: String(contentsOf: Self.repo.appendingPathComponent("compose.yaml"), encoding: .utf8))
        let services = (compose as? [String: Any])?["services"] as? [String: Any] ?? [:]
        for (name, service) in services {
            guard let s = service as? [String: Any], (s["image"] as? String)?.hasPrefix("aiops") == true else { continue }
            for key in (s["environment"] as? [String: Any] ?? [:]).keys { used[key] = "compose.yaml: \(name)" }
        }
        #expect(!used.isEmpty)
        for (name, place) in used.sorted(by: { $0.key < $1.key }) {
            #expect(known.contains(name), "\(place) sets \(name), which no daemon reads")
        }
    }

    /// ConfigMap data keys and container `env` names, anywhere in a manifest.
    static func collect(_ node: Any?, into used: inout [String: String], file: String) {
        if let d = node as? [String: Any] {
            if d["kind"] as? String == "ConfigMap", (d["metadata"] as? [String: Any])?["name"] as? String == "aiops-config",
               let data = d["data"] as? [String: Any] {
                for k in data.keys { used[k] = file }
            }
            if let env = d["env"] as? [Any] {
                for e in env { if let n = (e as? [String: Any])?["name"] as? String { used[n] = file } }
            }
            for v in d.values { collect(v, into: &used, file: file) }
        } else if let a = node as? [Any] {
            for v in a { collect(v, into: &used, file: file) }
        }
    }
}
