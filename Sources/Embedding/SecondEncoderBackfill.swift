import Logging
import ServiceLifecycle

/// Gives the second encoder's vectors to what has none: what was indexed before it was configured, and what
/// was indexed with the first encoder alone while it was down. In the background (a large handbook takes
/// minutes; the daemon consumes meanwhile, and retrieval ranks a chunk without the second vector by the other
/// signals): at start, then every `interval`; after a failure (its server unavailable) again after `retry`.
struct SecondEncoderBackfill: Service {
    let handler: EmbedderHandler
    let logger: Logger
    var interval: Duration = .seconds(300)
    var retry: Duration = .seconds(30)

    func run() async throws {
        var wait = Duration.zero
        while !Task.isCancelled {
            if wait > .zero {
                let pause = wait
                do { try await cancelWhenGracefulShutdown { try await Task.sleep(for: pause) } } catch { return }
            }
            do {
                _ = try await handler.backfillSecondEmbeddings()
                wait = interval
            } catch {
                logger.warning("second-encoder backfill failed; retrying", metadata: ["error": "\(error)"])
                wait = retry
            }
        }
    }
}
