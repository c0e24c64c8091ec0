import Foundation
import Logging
import Prometheus
import ServiceLifecycle

/// What every daemon's `main` does: parse `--flag value` / `--flag=value`
/// (and `--help`) into its configuration, bootstrap logging and metrics,
/// build its services with the same function the tests call, and run them as
/// one `ServiceGroup` that stops in reverse order on SIGTERM/SIGINT, within
/// `gracefulShutdown` (then cancelled).
public enum DaemonMain {
    public static let gracefulShutdown: Duration = .seconds(20)

    public static func run<C: DaemonConfiguration>(
        _ type: C.Type, arguments: [String] = Array(CommandLine.arguments.dropFirst()),
        build: @Sendable (C, PrometheusCollectorRegistry, Logger) async throws -> [any Service]
    ) async -> Never {
        let configuration: C
        do {
            guard let flags = try parse(arguments, settings: C.settings) else {
                print("\(C.daemon): \(C.abstract)\n\nUsage: \(C.daemon) [--flag value]...\n\n\(Setting.helpText(C.settings))")
                exit(0)
            }
            configuration = try C(ConfigSource(flags: flags))
        } catch {
            FileHandle.standardError.write(Data("\(C.daemon): \(error)\n".utf8))
            exit(64)
        }
        // Secrets and key paths are loaded: nothing started from here on (actions, MCP servers) needs to see them.
        for setting in C.settings where setting.secret || setting.env.hasSuffix("_KEY_FILE") {
            unsetenv(setting.env)
            unsetenv(setting.env + "_FILE")
        }
        let registry = Observability.bootstrap(service: C.daemon, level: configuration.common.logLevel)
        let logger = Logger(label: C.daemon)
        do {
            // The trace exporter runs first, so it stops last: the other services' spans are flushed.
            let traces = try TraceExport.bootstrap(service: C.daemon, logger: logger)
            let services = try await build(configuration, registry, logger)
            try await runServiceGroup((traces.map { [$0] } ?? []) + services, logger: logger)
            exit(0)
        } catch {
            logger.critical("\(C.daemon) stopped", metadata: ["error": "\(error)"])
            exit(1)
        }
    }

    /// Runs services until SIGTERM/SIGINT; shutdown is bounded.
    public static func runServiceGroup(_ services: [any Service], logger: Logger) async throws {
        var config = ServiceGroupConfiguration(services: services.map { .init(service: $0) },
                                               gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        config.maximumGracefulShutdownDuration = gracefulShutdown
        config.maximumCancellationDuration = .seconds(5)
        try await ServiceGroup(configuration: config).run()
    }

    /// Flag values by flag name; nil when help was asked for. Unknown flags are an error.
    public static func parse(_ arguments: [String], settings: [Setting]) throws -> [String: String]? {
        let known = Set(settings.map(\.flag))
        var out: [String: String] = [:]
        var i = 0
        while i < arguments.count {
            let arg = arguments[i]
            if arg == "--help" || arg == "-h" { return nil }
            guard arg.hasPrefix("--") else { throw ConfigError("unexpected argument \"\(arg)\" (see --help)") }
            var name = String(arg.dropFirst(2))
            var value: String
            if let eq = name.firstIndex(of: "=") {
                value = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            } else {
                guard i + 1 < arguments.count else { throw ConfigError("--\(name) needs a value") }
                i += 1
                value = arguments[i]
            }
            guard known.contains(name) else { throw ConfigError("unknown flag --\(name) (see --help)") }
            out[name] = value
            i += 1
        }
        return out
    }
}
