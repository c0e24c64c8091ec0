import DaemonRuntime
import Triage

/// reasoner: the bounded agent loop, with the built-in or the LLM planner.
@main
enum Reasoner {
    static func main() async {
        await DaemonMain.run(ReasonerConfiguration.self) { configuration, registry, logger in
            try await buildReasoner(configuration, registry: registry, logger: logger)
        }
    }
}
