// The unit's instruments: what its purchase path, group-commit writer, gossip and order lifecycle count.

import FlashSaleAPI
import FlashSaleCore
import FlashSaleStorage
import Hummingbird
import Metrics

/// Every series a unit exports at `GET /metrics`, made once when the unit starts.
///
/// The purchase path only indexes a prebuilt array and bumps an atomic (swift-prometheus counters are lock-free),
/// so counting costs no lock and no allocation per request. Gauges that describe state (rights held, the config
/// version) are read from the unit when it is scraped instead of being kept up to date on every change.
final class UnitMetrics: Sendable {
    static let purchasesName = "flashsale_purchases_total"
    static let commitSecondsName = "flashsale_group_commit_seconds"
    static let batchOrdersName = "flashsale_group_commit_batch_orders"
    static let orderSecondsName = "flashsale_order_seconds"

    /// A group commit takes about a millisecond with synchronous=FULL on a good disk, far more on a slow one.
    static let commitBuckets: [Duration] = [
        .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
        .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
        .milliseconds(500), .seconds(1), .seconds(5),
    ]
    /// An order waits for the commit under way, then for its own: a commit's scale, finer where a loaded unit's
    /// orders wait (1 to 5 ms), so a percentile read from it (`bench/run.sh`) is not one bucket wide.
    static let orderBuckets: [Duration] = [
        .microseconds(250), .microseconds(500), .microseconds(750), .milliseconds(1), .microseconds(1500),
        .milliseconds(2), .milliseconds(3), .milliseconds(4), .milliseconds(5), .microseconds(7500), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
        .seconds(5),
    ]
    /// Orders per batch: one when buyers trickle in, hundreds in the first second of a sale.
    static let batchBuckets: [Double] = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000]

    let registry: MetricsRegistry
    /// Indexed by `PurchaseOutcomeLabel.index`.
    private let purchases: [Counter]
    private let rateLimitedByAddress: Counter
    private let rateLimitedByUser: Counter
    let commitSeconds: Metrics.Timer
    let batchOrders: Recorder
    /// How long a buyer whose purchase became an order waited inside the unit: from the decision that queued it (or
    /// held it for stock) to its 201. The writer's queue and commit are in it; the network and the client's own queue
    /// are not, so a load generator's latency less this one is what the unit's socket queue and the wire added.
    let orderSeconds: Metrics.Timer
    let gossipRounds: Counter
    /// Asks for stock this unit sent between rounds (`StockPulls`), and purchases held while stock was on its way, by
    /// how the hold ended.
    let pulls: Counter
    let holds: [StockHold.Ending: Counter]
    /// Grants made, to a peer (rebalancing) or back to the config-center (sale end), and the rights they carried.
    private let grantsToUnits: Counter
    private let grantsToCenter: Counter
    private let rightsToUnits: Counter
    private let rightsToCenter: Counter
    /// Grants learned by gossip that raised this unit's rights, and by how much.
    let grantsReceived: Counter
    let rightsReceived: Counter
    let ordersPaid: Counter
    let ordersCancelled: Counter
    let ordersExpired: Counter
    /// Rows in gossip that were refused, by `RowRefusal`.
    private let gossipRowsRefused: [RowRefusal: Counter]

    /// Why a gossip row was refused: not signed by its owner, granting to a node that is no member, conflicting with
    /// the owner's row already kept, or giving or selling more than the owner holds; or why a witness was.
    enum RowRefusal: String, CaseIterable {
        case unsigned, conflicting, overdrawn
        case unknownGrantee = "unknown-grantee"
        /// A witness of grants between units not signed by the config-center.
        case witnessUnsigned = "witness-unsigned"

        init(_ leftOut: GossipGate.LeftOut) {
            switch leftOut {
            case .unsigned: self = .unsigned
            case .unknownGrantee: self = .unknownGrantee
            case .unwitnessed: self = .witnessUnsigned
            }
        }
    }

    init() {
        let registry = MetricsRegistry(
            durationBuckets: [Self.commitSecondsName: Self.commitBuckets, Self.orderSecondsName: Self.orderBuckets],
            valueBuckets: [Self.batchOrdersName: Self.batchBuckets])
        self.registry = registry
        purchases = PurchaseOutcomeLabel.allCases.map { registry.counter(Self.purchasesName, [("outcome", $0.name)]) }
        rateLimitedByAddress = registry.counter("flashsale_rate_limited_total", [("limiter", "address")])
        rateLimitedByUser = registry.counter("flashsale_rate_limited_total", [("limiter", "user")])
        commitSeconds = Metrics.Timer(label: Self.commitSecondsName, factory: registry.factory)
        batchOrders = Recorder(label: Self.batchOrdersName, aggregate: true, factory: registry.factory)
        orderSeconds = Metrics.Timer(label: Self.orderSecondsName, factory: registry.factory)
        gossipRounds = registry.counter("flashsale_gossip_rounds_total")
        pulls = registry.counter("flashsale_stock_pulls_total")
        holds = Dictionary(uniqueKeysWithValues: StockHold.Ending.allCases.map {
            ($0, registry.counter("flashsale_purchase_holds_total", [("ended", $0.rawValue)]))
        })
        grantsToUnits = registry.counter("flashsale_grants_given_total", [("to", "unit")])
        grantsToCenter = registry.counter("flashsale_grants_given_total", [("to", "center")])
        rightsToUnits = registry.counter("flashsale_rights_given_total", [("to", "unit")])
        rightsToCenter = registry.counter("flashsale_rights_given_total", [("to", "center")])
        grantsReceived = registry.counter("flashsale_grants_received_total")
        rightsReceived = registry.counter("flashsale_rights_received_total")
        ordersPaid = registry.counter("flashsale_orders_paid_total")
        ordersCancelled = registry.counter("flashsale_orders_cancelled_total")
        ordersExpired = registry.counter("flashsale_orders_expired_total")
        gossipRowsRefused = Dictionary(uniqueKeysWithValues: RowRefusal.allCases.map {
            ($0, registry.counter("flashsale_gossip_rows_refused_total", [("reason", $0.rawValue)]))
        })
    }

    func purchase(_ outcome: PurchaseOutcomeLabel) {
        purchases[outcome.index].increment()
    }

    /// A row in gossip was refused.
    func gossipRowRefused(_ reason: RowRefusal) {
        gossipRowsRefused[reason]?.increment()
    }

    /// A rate limiter refused: the client address's, or the buyer's.
    func rateLimited(byAddress: Bool) {
        (byAddress ? rateLimitedByAddress : rateLimitedByUser).increment()
    }

    /// A grant of `amount` rights was made durable.
    func granted(_ amount: Int64, to node: NodeID) {
        let toCenter = node == .center
        (toCenter ? grantsToCenter : grantsToUnits).increment()
        (toCenter ? rightsToCenter : rightsToUnits).increment(by: amount)
    }

    /// The exposition, with the state gauges read now: per sale the rights this unit holds and the stock it can
    /// still promise (rights less orders in flight); the config version it runs on; whether it is ready; the WAL
    /// checkpoints made since it started, by where (`WALCheckpointer`): "forced" ones mean the disk could not keep up
    /// with the writes, and commits waited for checkpoints as they would without it.
    func response(
        sales: [SaleSnapshot], rightsHeld: [String: Int64], configVersion: Int64, ready: Bool,
        checkpoints: WALCheckpointer.Counts?
    ) -> Response {
        for sale in sales {
            let id = sale.terms.id
            registry.gauge("flashsale_rights_held", [("sale", id)]).record(rightsHeld[id] ?? 0)
            registry.gauge("flashsale_stock_available", [("sale", id)]).record(max(sale.available, 0))
        }
        registry.gauge("flashsale_config_version").record(configVersion)
        registry.gauge("flashsale_ready").record(ready ? 1 : 0)
        if let checkpoints {
            let byPlace = [
                ("background", checkpoints.background), ("finished", checkpoints.finished), ("forced", checkpoints.forced),
            ]
            for (place, count) in byPlace { registry.gauge("flashsale_wal_checkpoints", [("by", place)]).record(count) }
        }
        return registry.response()
    }
}
