// The declarative file an operator applies: regions, units, sales and their allocations.

/// The body of `POST /v1/apply`, read from a file under `config-center/`. Applying is idempotent: regions and
/// units are created or updated, sales created when missing, and allocations are totals per region that the
/// config-center tops up to (it never takes rights back).
public struct ClusterDocument: Sendable, Codable, Equatable {
    /// Most regions, units or sales one document may declare: everything it declares travels in every unit's
    /// configuration, so a file (a typo in a generator, say) cannot grow it without bound.
    public static let entriesMax = 1_000

    public var regions: [RegionSpec]?
    public var units: [UnitSpec]?
    public var sales: [DeclaredSale]?

    public init(regions: [RegionSpec]? = nil, units: [UnitSpec]? = nil, sales: [DeclaredSale]? = nil) {
        self.regions = regions
        self.units = units
        self.sales = sales
    }
}

/// A sale in a declarative file, with the allocation it should have.
public struct DeclaredSale: Sendable, Codable, Equatable {
    public var sale: SaleSpec
    /// Total allocation per region: counts, or percentages of the sale's stock.
    public var allocation: AllocationSpec?
    /// The file gave the window relative to now ("now", "+10m"): applying it again must not move the window
    /// of a sale that already exists.
    public var keepExistingWindow: Bool?

    public init(sale: SaleSpec, allocation: AllocationSpec? = nil, keepExistingWindow: Bool? = nil) {
        self.sale = sale
        self.allocation = allocation
        self.keepExistingWindow = keepExistingWindow
    }
}

/// What `apply` did, for the operator.
public struct ApplyResult: Sendable, Codable, Equatable {
    public var version: Int64
    public var changes: [String]

    public init(version: Int64, changes: [String]) {
        self.version = version
        self.changes = changes
    }
}
