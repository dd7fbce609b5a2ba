// The time window of a sale as seen at one instant.

/// Where a sale stands in its window at a given time.
public enum SalePhase: Sendable, Hashable {
    /// Not started; opens in `startsInMs` milliseconds.
    case scheduled(startsInMs: Int64)
    /// Selling.
    case open
    /// Within its window, but stopped for now by the operator.
    case paused
    /// Past its end time: no more orders.
    case ended

    /// The name used on the wire and in tables.
    public var name: String {
        switch self {
        case .scheduled: "scheduled"
        case .open: "open"
        case .paused: "paused"
        case .ended: "ended"
        }
    }
}
