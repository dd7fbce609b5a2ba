// The configuration the config-center hands to every unit, versioned for long-polling.

public import FlashSaleCore

/// Everything a unit needs to run on its own: the cluster's regions and units, every sale's terms and the
/// config-center's row of each sale's rights ledger (its mints and its grants to units). `version` grows with
/// every change; a unit keeps the last copy it saw in its own database.
public struct ClusterConfig: Sendable, Codable, Equatable {
    public var version: Int64
    public var regions: [RegionSpec]
    public var units: [UnitSpec]
    public var sales: [SaleConfig]
    /// Public keys buyer tokens may be signed with (the newest signs; older ones still verify during a rotation).
    public var buyerTokenKeys: [BuyerTokenKey]?
    /// Users refused by every sale.
    public var blacklist: [String]?
    /// The shop's identity provider, whose buyer tokens units take besides the minted ones (nil: minted only).
    public var tokenIssuer: TokenIssuer?

    public init(
        version: Int64, regions: [RegionSpec], units: [UnitSpec], sales: [SaleConfig],
        buyerTokenKeys: [BuyerTokenKey]? = nil, blacklist: [String]? = nil, tokenIssuer: TokenIssuer? = nil
    ) {
        self.tokenIssuer = tokenIssuer
        self.version = version
        self.regions = regions
        self.units = units
        self.sales = sales
        self.buyerTokenKeys = buyerTokenKeys
        self.blacklist = blacklist
    }

    public static let empty = ClusterConfig(version: 0, regions: [], units: [], sales: [])
}

/// One sale in the configuration.
public struct SaleConfig: Sendable, Codable, Equatable {
    public var terms: SaleTerms
    /// The config-center's own ledger row: stock minted and rights granted to each unit.
    public var centerRow: LedgerRow
    /// The config-center's copies of the units' rows (from their reports): a unit that lost its database takes
    /// its own row back from here before it sells again.
    public var unitRows: [NodeID: LedgerRow]?
    /// The units that own this sale's buyers, by region: the region's units when the sale opened, fixed from then on
    /// (a unit that joins later owns none, so nobody's orders are left behind at a unit they no longer reach). Nil
    /// (a config-center from before owners were kept): the region's units now.
    public var owners: [String: [String]]?
    /// Owners the config-center retired from this sale, by region, first retired first: silent long enough that the
    /// others took their buyers over, for the rest of the sale (`CustodyView`, `RetirementRule`). Nil: none.
    public var retired: [String: [String]]?

    public init(
        terms: SaleTerms, centerRow: LedgerRow, unitRows: [NodeID: LedgerRow]? = nil, owners: [String: [String]]? = nil,
        retired: [String: [String]]? = nil
    ) {
        self.terms = terms
        self.centerRow = centerRow
        self.unitRows = unitRows
        self.owners = owners
        self.retired = retired
    }

    /// Who serves and guards this sale's buyers in `region` (`CustodyView`): nil when the sale keeps no owners there,
    /// or when the configuration names a retired unit that is no owner (no config-center writes that).
    public func custodyView(region: String) -> CustodyView? {
        guard let owners = owners?[region], !owners.isEmpty else { return nil }
        return CustodyView(owners: owners.map { NodeID($0) }, retired: (retired?[region] ?? []).map { NodeID($0) })
    }
}
