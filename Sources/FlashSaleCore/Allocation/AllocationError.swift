// Why an allocation cannot be planned.

/// An allocation the planner refuses; nothing is granted.
public enum AllocationError: Error, Sendable, Equatable {
    case empty
    case unknownRegion(String)
    case regionWithoutUnits(String)
    case negativeAmount(region: String)
    /// A count outside what a sale can hold, or a percentage outside 0–100.
    case invalidAmount(region: String)
    case percentagesOutOfRange(total: Int)
    case exceedsStock(requested: Int64, available: Int64)
    /// A declarative target lower than what a region was already given: rights cannot be taken back.
    case belowCurrent(region: String, current: Int64, target: Int64)
}
