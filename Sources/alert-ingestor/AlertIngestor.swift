import DaemonRuntime
import Ingest

/// alert-ingestor: the Alertmanager bridge. Accepts webhooks and
/// IncidentReports and opens incidents in the event log.
@main
enum AlertIngestor {
    static func main() async {
        await DaemonMain.run(IngestorConfiguration.self) { configuration, registry, logger in
            try await buildIngestor(configuration, registry: registry, logger: logger)
        }
    }
}
