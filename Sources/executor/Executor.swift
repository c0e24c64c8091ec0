import DaemonRuntime
import Execution

/// executor: runs approved actions from the catalog, at most once each.
@main
enum Executor {
    static func main() async {
        await DaemonMain.run(ExecutorConfiguration.self) { configuration, registry, logger in
            try await buildExecutor(configuration, registry: registry, logger: logger)
        }
    }
}
