import Foundation
import TestSupport
import Testing

/// docs/architecture.md's table of allowed imports is the rule: any `import`
/// of a project module that the table does not allow fails here.
@Suite("Module boundaries")
struct ArchitectureTests {
    static let repo = TestSchemas.repositoryRoot

    /// module → project modules it may import, from the document's table.
    static func allowed() throws -> [String: Set<String>] {
        let doc = try String(contentsOf: repo.appendingPathComponent("docs/architecture.md"), encoding: .utf8)
        var out: [String: Set<String>] = [:]
        for line in doc.split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 3 else { continue }
            let name = cells[1].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
            out[name] = Set(cells[2].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces)
                .trimmingCharacters(in: CharacterSet(charactersIn: "`")) }.filter { !$0.isEmpty })
        }
        return out
    }

    @Test func importsFollowTheTable() throws {
        let allowed = try Self.allowed()
        let sources = Self.repo.appendingPathComponent("Sources")
        let modules = Set(try FileManager.default.contentsOfDirectory(atPath: sources.path))
        #expect(Set(allowed.keys).union(["CRdKafka", "CLibPQ", "CCurl"]) == modules, "every module has a row")
        for module in modules.sorted() {
            let dir = sources.appendingPathComponent(module)
            guard let files = FileManager.default.enumerator(atPath: dir.path) else { continue }
            for case let file as String in files where file.hasSuffix(".swift") {
                let text = try String(contentsOf: dir.appendingPathComponent(file), encoding: .utf8)
                for line in text.split(separator: "\n") {
                    let words = line.split(separator: " ")
                    guard let i = words.firstIndex(of: "import"), i + 1 < words.count,
                          words[..<i].allSatisfy({ $0.hasPrefix("@") }) else { continue }
                    let imported = String(words[i + 1])
                    guard modules.contains(imported), imported != module else { continue }
                    #expect(allowed[module]?.contains(imported) == true,
                            "\(module)/\(file) imports \(imported), which docs/architecture.md does not allow")
                }
            }
        }
    }
}
