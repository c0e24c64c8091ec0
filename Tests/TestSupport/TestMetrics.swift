import Metrics
import Prometheus

/// One Prometheus registry for the test process (swift-metrics can be
/// bootstrapped once per process): what the daemons' `/metrics` render in tests.
public enum TestMetrics {
    public static let registry: PrometheusCollectorRegistry = {
        let r = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: r))
        return r
    }()
}
