import DaemonRuntime
import IncidentLog
import Kafka
import Logging
import ServiceLifecycle

/// Expires pending approvals past their deadline (`ApprovalExpired` +
/// `IncidentEscalated`) every `interval` until the service group stops, through the one
/// writer of decisions: an expiry never races a human decision, and a failed write is tried again.
public struct ExpiryService: Service {
    let decisions: DecisionRecorder
    let interval: Duration

    public init(decisions: DecisionRecorder, interval: Duration = .seconds(5)) {
        self.decisions = decisions
        self.interval = interval
    }

    public func run() async throws {
        while !Task.isCancelled {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch { return }
            await decisions.expireDue()
        }
    }
}
