// What buyers saw in one simulated sale: the invariants say no harm was done, this says how well they were served.

/// Per run, what the rebalancer looked like from the buyers' side (issue 16): how often a buyer heard "try again"
/// while another unit held stock, how long a unit whose buyers were told so waited for its next sale, stock left at
/// units while buyers were still being turned away, and grants that went back where they came from within a second.
struct BuyerView {
    /// New purchase attempts (a held buyer's retries are not new attempts).
    var attempts = 0
    /// Buyers who heard "try again" once their hold ran out, and those of them while another unit offered stock.
    var retries = 0
    var retriesWhileStockElsewhere = 0
    /// Dry spells, in ticks: how long a unit's buyers were told "try again" (held or not), tick after tick, while
    /// another unit had stock to spare: the time from running dry to selling again, when it could have.
    var dryToSaleTicks: [Int] = []
    /// Stock units still offered at the end while a buyer was told "try again" in the last second.
    var strandedAtEnd: Int64 = 0
    /// Grants made between units, and those from B to A within a second of one from A to B.
    var grants = 0
    var backAndForth = 0
    /// Asks for stock sent (`PullRule`).
    var pulls = 0
    var lastRetryTick: Int?

    /// The share of attempts answered "try again" while stock was held elsewhere.
    var retryShare: Double { attempts == 0 ? 0 : Double(retriesWhileStockElsewhere) / Double(attempts) }

    /// The 99th percentile of dry spells, in ticks (0 when no unit ran dry while another had stock).
    var dryTicksP99: Int {
        let sorted = dryToSaleTicks.sorted()
        return sorted.isEmpty ? 0 : sorted[(sorted.count * 99) / 100]
    }

    /// Folds another run's view into this one (for totals over seeds).
    mutating func add(_ other: BuyerView) {
        attempts += other.attempts
        retries += other.retries
        retriesWhileStockElsewhere += other.retriesWhileStockElsewhere
        dryToSaleTicks += other.dryToSaleTicks
        strandedAtEnd += other.strandedAtEnd
        grants += other.grants
        backAndForth += other.backAndForth
        pulls += other.pulls
    }
}
