import Logging
import ServiceLifecycle

/// Gives what was indexed before the second encoder was configured its vectors, in the background (a large
/// handbook takes minutes; the daemon consumes meanwhile, and retrieval ranks a chunk without the second
/// vector by the other signals). Retries every `retry` while the second encoder's server is unavailable;
/// once done, it waits for shutdown.
struct SecondEncoderBackfill: Service {
    let handler: EmbedderHandler
    let logger: Logger
    var retry: Duration = .seconds(30)

    func run() async throws {
        while !Task.isCancelled {
            do {
                _ = try await handler.backfillSecondEmbeddings()
                break
            } catch {
                logger.warning("second-encoder backfill failed; retrying", metadata: ["error": "\(error)"])
                do { try await cancelWhenGracefulShutdown { try await Task.sleep(for: retry) } } catch { return }
            }
        }
        try? await gracefulShutdown()
    }
}
