import ArgumentParser
import DaemonRuntime
import OperatorCLI

/// `aiops settings`: every daemon's settings, as docs/configuration.md shows them.
struct Settings: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print every daemon's settings (flag, environment, default).")
    @Argument(help: "Only this daemon.") var daemon: String?
    @Flag(help: "Print the markdown of docs/configuration.md.") var markdown = false

    func run() throws {
        if markdown { print(SettingsDocument.markdown(), terminator: ""); return }
        let list = SettingsDocument.daemons.filter { daemon == nil || $0.name == daemon }
        guard !list.isEmpty else { throw ValidationError("unknown daemon \(daemon ?? "")") }
        for d in list { print("\(d.name): \(d.abstract)\n\(Setting.helpText(d.settings))\n") }
    }
}
