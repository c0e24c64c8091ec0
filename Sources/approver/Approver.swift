import Approval
import DaemonRuntime

/// approver: answers every ActionProposed (policy approval, human request or
/// rejection) and serves the approvals API for named humans.
@main
enum ApproverDaemon {
    static func main() async {
        await DaemonMain.run(ApproverConfiguration.self) { configuration, registry, logger in
            try await buildApprover(configuration, registry: registry, logger: logger)
        }
    }
}
