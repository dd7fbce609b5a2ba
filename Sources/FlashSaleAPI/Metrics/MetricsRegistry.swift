// The numbers one server exports at GET /metrics, in the Prometheus text format.

public import Hummingbird
public import Metrics
public import Prometheus

/// One server's metrics: a Prometheus registry of its own and the swift-metrics factory that fills it.
///
/// Instruments are made with an explicit `factory:` rather than through `MetricsSystem.bootstrap`, because the
/// tests run many units and config-centers in one process: each must export its own numbers, not the sum of all.
public final class MetricsRegistry: Sendable {
    /// The media type of the text exposition format that Prometheus scrapes.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    public let registry: PrometheusCollectorRegistry
    /// Makes swift-metrics instruments (`Counter(label:dimensions:factory:)`) that land in `registry`.
    public let factory: PrometheusMetricsFactory

    /// `durationBuckets` and `valueBuckets` give histograms (swift-metrics timers and aggregating recorders) their
    /// buckets by metric name; the factory's defaults are too coarse for a commit of a few milliseconds.
    public init(durationBuckets: [String: [Duration]] = [:], valueBuckets: [String: [Double]] = [:]) {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets = durationBuckets
        factory.valueHistogramBuckets = valueBuckets
        self.registry = registry
        self.factory = factory
    }

    /// A counter in this registry.
    public func counter(_ name: String, _ dimensions: [(String, String)] = []) -> Metrics.Counter {
        Metrics.Counter(label: name, dimensions: dimensions, factory: factory)
    }

    /// A gauge in this registry; the same name and dimensions give the same series.
    public func gauge(_ name: String, _ dimensions: [(String, String)] = []) -> Metrics.Gauge {
        Metrics.Gauge(label: name, dimensions: dimensions, factory: factory)
    }

    /// Every series as Prometheus scrapes it.
    public func response() -> Response {
        Response(
            status: .ok, headers: [.contentType: Self.contentType, .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
    }
}
