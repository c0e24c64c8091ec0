import DaemonRuntime
import Logging
import Prometheus
import ServiceLifecycle

/// The exporter's services: `/metrics` (with `/healthz` and `/readyz`, ready
/// once the incident log was read to its end), the offset sampler and the log
/// follower. `aiops exporter` and the tests call this.
public func buildExporter(_ configuration: ExporterConfiguration, registry: PrometheusCollectorRegistry?,
                          logger: Logger) -> [any Service] {
    let ready = ReadyFlag()
    let ops = buildOperationalApplication(host: configuration.host, port: configuration.port,
                                          service: "aiops-exporter", registry: registry) {
        ready.value ? nil : "still reading the incident log"
    }
    let authenticator = RecordAuthenticator(keyring: configuration.keyring, topics: configuration.topics)
    return [ops,
            LogService(configuration: configuration, authenticator: authenticator, ready: ready, logger: logger),
            OffsetsService(configuration: configuration, logger: logger)]
}
