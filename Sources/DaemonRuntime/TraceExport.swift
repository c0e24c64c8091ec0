import Foundation
import Logging
import OTel
import ServiceLifecycle
import Synchronization
import Tracing

/// OTLP trace export (swift-otel), off unless the standard variables ask for
/// it: `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`
/// set, or `OTEL_TRACES_EXPORTER=otlp`; `OTEL_SDK_DISABLED=true` or
/// `OTEL_TRACES_EXPORTER=none` turn it off. Protocol (`grpc`, `http/protobuf`,
/// `http/json`), headers, timeout, sampler, batch sizes and `OTEL_SERVICE_NAME`
/// are swift-otel's reading of the same variables. Logs and metrics stay on
/// stderr and `/metrics`.
public enum TraceExport {
    private static let enabled = Atomic(false)

    /// Whether this process exports spans (and so writes its span into the events it produces).
    public static var isEnabled: Bool { enabled.load(ordering: .acquiring) }

    public static func isRequested(_ env: [String: String]) -> Bool {
        if env["OTEL_SDK_DISABLED"]?.lowercased() == "true" { return false }
        switch env["OTEL_TRACES_EXPORTER"]?.lowercased() {
        case "none": return false
        case "otlp": return true
        default: return !(env["OTEL_EXPORTER_OTLP_ENDPOINT"] ?? "").isEmpty || !(env["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] ?? "").isEmpty
        }
    }

    /// Bootstraps the process's tracer when asked for; returns the exporter's service, which must run
    /// first in the daemon's service group (it stops last, after the spans of the others were ended).
    public static func bootstrap(service: String, environment: [String: String] = ProcessInfo.processInfo.environment,
                                 logger: Logger) throws -> (any Service)? {
        guard isRequested(environment) else { return nil }
        var configuration = OTel.Configuration.default
        configuration.serviceName = service
        configuration.logs.enabled = false
        configuration.metrics.enabled = false
        configuration.traces.enabled = true
        configuration.diagnosticLogLevel = .warning
        let backend = try OTel.makeTracingBackend(configuration: configuration)
        InstrumentationSystem.bootstrap(backend.factory)
        enabled.store(true, ordering: .releasing)
        logger.notice("exporting traces over OTLP", metadata: [
            "endpoint": "\(environment["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] ?? environment["OTEL_EXPORTER_OTLP_ENDPOINT"] ?? "default")",
            "protocol": "\(environment["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"] ?? environment["OTEL_EXPORTER_OTLP_PROTOCOL"] ?? "default")"])
        return backend.service
    }
}
