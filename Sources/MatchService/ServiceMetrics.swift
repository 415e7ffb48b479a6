import CoreMetrics
import NIOCore
import PerceptualHashing
import Prometheus

/// The service's Prometheus metrics, through swift-metrics on a registry of its own (no global bootstrap):
/// requests by operation and status, latency, matches, errors by code, decode failures, index size, connections.
public final class ServiceMetrics: Sendable {
    /// The registry `GET /metrics` renders.
    public let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory

    /// Metrics on a new registry.
    public init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2.5),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
        ]
        self.factory = factory
    }

    /// Counts one answered request and its latency.
    func recordRequest(operation: String, transport: Transport, error: String?, start: NIODeadline) {
        let status = error == nil ? "ok" : "error"
        CoreMetrics.Counter(
            label: "hashmatch_requests_total",
            dimensions: [("op", operation), ("transport", transport.rawValue), ("status", status)],
            factory: factory
        ).increment()
        CoreMetrics.Timer(
            label: "hashmatch_request_duration_seconds",
            dimensions: [("op", operation)],
            factory: factory
        )
        .recordNanoseconds((NIODeadline.now() - start).nanoseconds)
        if let error {
            CoreMetrics.Counter(label: "hashmatch_errors_total", dimensions: [("code", error)], factory: factory)
                .increment()
            if error.hasPrefix("image_") {
                CoreMetrics.Counter(
                    label: "hashmatch_decode_failures_total",
                    dimensions: [("code", error)],
                    factory: factory
                ).increment()
            }
        }
    }

    /// Counts entries matched, per set.
    func recordMatches(sets: [String]) {
        for set in sets {
            CoreMetrics.Counter(label: "hashmatch_matches_total", dimensions: [("set", set)], factory: factory)
                .increment()
        }
    }

    /// Sets the index-size gauges.
    func recordIndexSize(_ counts: [HashAlgorithm: Int], generation: Int) {
        for algorithm in HashAlgorithm.allCases {
            CoreMetrics.Gauge(
                label: "hashmatch_index_entries",
                dimensions: [("algorithm", algorithm.rawValue)],
                factory: factory
            ).record(counts[algorithm] ?? 0)
        }
        CoreMetrics.Gauge(label: "hashmatch_index_generation", factory: factory).record(generation)
    }

    /// Counts reloads by outcome.
    func recordReload(ok: Bool) {
        CoreMetrics.Counter(
            label: "hashmatch_reloads_total",
            dimensions: [("status", ok ? "ok" : "error")],
            factory: factory
        ).increment()
    }

    /// Sets the open-connections gauge.
    func recordConnections(_ count: Int) {
        CoreMetrics.Gauge(label: "hashmatch_connections", factory: factory).record(count)
    }

    /// The Prometheus text exposition.
    func render() -> String { registry.emitToString() }
}
