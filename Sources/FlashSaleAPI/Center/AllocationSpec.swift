// An allocation or restock as an operator asks for it.

/// The body of `POST /v1/sales/{id}/allocations`: either exact counts per region, or percentages (0–100, at
/// most 100 in total) of the stock the config-center still holds for the sale.
public struct AllocationSpec: Sendable, Codable, Equatable {
    public var counts: [String: Int64]?
    public var percentages: [String: Int]?

    public init(counts: [String: Int64]? = nil, percentages: [String: Int]? = nil) {
        self.counts = counts
        self.percentages = percentages
    }
}

/// The body of `POST /v1/sales/{id}/restock`: more stock minted at the config-center, to allocate next.
public struct RestockSpec: Sendable, Codable, Equatable {
    public var amount: Int64
    public init(amount: Int64) { self.amount = amount }
}
