// A sale across the cluster, as the config-center sees it: the `status` table.

public import Foundation

/// `GET /v1/sales/{id}/status`.
public struct SaleStatus: Sendable, Codable, Equatable {
    public var sale: String
    public var title: String
    public var state: String
    public var startsAt: Date
    public var endsAt: Date
    public var perUserLimit: Int
    /// Stock created for the sale.
    public var minted: Int64
    /// Rights still at the config-center (not allocated).
    public var atCenter: Int64
    /// Orders held across all units, as last reported.
    public var sold: Int64
    /// Rights units gave back to the config-center (at the end of the sale).
    public var returned: Int64
    public var units: [UnitSaleStatus]

    public init(
        sale: String, title: String, state: String, startsAt: Date, endsAt: Date, perUserLimit: Int, minted: Int64,
        atCenter: Int64, sold: Int64, returned: Int64 = 0, units: [UnitSaleStatus]
    ) {
        self.sale = sale
        self.title = title
        self.state = state
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.perUserLimit = perUserLimit
        self.minted = minted
        self.atCenter = atCenter
        self.sold = sold
        self.returned = returned
        self.units = units
    }
}

/// One unit's line of the status table.
public struct UnitSaleStatus: Sendable, Codable, Equatable {
    public var unit: String
    public var region: String
    /// Rights granted by the config-center.
    public var allocated: Int64
    /// Rights the unit holds now (can still sell), as last reported.
    public var rightsHeld: Int64
    /// Orders taken, ever.
    public var sold: Int64
    /// Orders holding stock now (sold minus returned).
    public var orders: Int64
    /// Rights it gave back to the config-center.
    public var returned: Int64
    /// Rights it received from other units and gave to other units (rebalancing).
    public var receivedFromUnits: Int64
    public var givenToUnits: Int64
    /// Purchase attempts per second at the unit, from its last report.
    public var demandPerSecond: Double?
    public var lastSeen: Date?

    public init(
        unit: String, region: String, allocated: Int64, rightsHeld: Int64, sold: Int64, orders: Int64, returned: Int64 = 0,
        receivedFromUnits: Int64 = 0, givenToUnits: Int64 = 0, demandPerSecond: Double? = nil, lastSeen: Date?
    ) {
        self.unit = unit
        self.region = region
        self.allocated = allocated
        self.rightsHeld = rightsHeld
        self.sold = sold
        self.orders = orders
        self.returned = returned
        self.receivedFromUnits = receivedFromUnits
        self.givenToUnits = givenToUnits
        self.demandPerSecond = demandPerSecond
        self.lastSeen = lastSeen
    }
}
