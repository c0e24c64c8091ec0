import Foundation
import Kafka
import Logging
import Metrics
import Prometheus

/// Process-wide logging and metrics for a daemon's `main`. Libraries never
/// call this; they take a `logger:` and use swift-metrics.
public enum Observability {
    /// Bootstraps swift-log (stderr, at `level`) and swift-metrics
    /// (Prometheus). Returns the registry `/metrics` renders.
    public static func bootstrap(service: String, level: Logger.Level = .info) -> PrometheusCollectorRegistry {
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = level
            h[metadataKey: "service"] = "\(service)"
            return h
        }
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // Times that are minutes, not milliseconds: an incident's time to triage.
        factory.durationHistogramBuckets["aiops_time_to_triage_seconds"] = [
            .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10), .seconds(30),
            .seconds(60), .seconds(120), .seconds(300), .seconds(600), .seconds(1800), .seconds(3600),
        ]
        for label in ["aiops_time_to_decision_seconds", "aiops_time_to_mitigation_seconds"] {
            factory.durationHistogramBuckets[label] = factory.durationHistogramBuckets["aiops_time_to_triage_seconds"]
        }
        MetricsSystem.bootstrap(factory)
        return registry
    }

    /// Feeds librdkafka statistics (consumer lag, producer queue depth) into metrics.
    public static func attachKafkaStatistics(producer: KafkaProducer, service: String) {
        let depth = Gauge(label: "aiops_kafka_producer_queue_messages", dimensions: [("service", service)])
        producer.onStatistics { stats in depth.record(stats.queuedMessages) }
    }

    public static func attachKafkaStatistics(consumer: KafkaConsumer, group: String, topics: [String]) {
        let gauges = Dictionary(uniqueKeysWithValues: topics.map {
            ($0, Gauge(label: "aiops_kafka_consumer_lag_messages", dimensions: [("group", group), ("topic", $0)]))
        })
        consumer.onStatistics { stats in
            for (topic, lag) in stats.consumerLag { gauges[topic]?.record(lag) }
        }
    }

    public static func render(_ registry: PrometheusCollectorRegistry) -> String {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }
}
