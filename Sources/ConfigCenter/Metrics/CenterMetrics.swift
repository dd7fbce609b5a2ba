// The config-center's instruments: what it has been told and what it has handed out.

import FlashSaleAPI
import Hummingbird
import Metrics

/// Every series a config-center exports at `GET /metrics`. Each router gets its own, so config-centers started
/// side by side in one test process do not add up each other's numbers. The config version and the number of
/// sales are read from the database when scraped.
public final class CenterMetrics: Sendable {
    let registry = MetricsRegistry()
    /// Unit reports received (accepted or refused).
    let reportsReceived: Counter
    /// Buyer tokens signed.
    let tokensMinted: Counter

    public init() {
        reportsReceived = registry.counter("flashsale_center_reports_total")
        tokensMinted = registry.counter("flashsale_center_tokens_minted_total")
    }

    func response(configVersion: Int64, sales: Int) -> Response {
        registry.gauge("flashsale_center_config_version").record(configVersion)
        registry.gauge("flashsale_center_sales").record(sales)
        return registry.response()
    }
}
