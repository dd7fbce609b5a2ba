// What a unit tells the config-center about itself at every heartbeat.

public import FlashSaleCore

/// A unit's heartbeat: who and where it is, and its own ledger row per sale (durable values only), which the
/// config-center merges into its view exactly as a gossip peer would.
public struct UnitReport: Sendable, Codable, Equatable {
    public var unit: String
    public var region: String
    public var url: String
    /// The config version the unit runs on.
    public var configVersion: Int64
    public var sales: [String: LedgerRow]
    /// Other units' rows the unit has learned by gossip, per sale (durable copies): grants between units reach
    /// the config-center with whichever side reports first.
    public var knownRows: [String: [NodeID: LedgerRow]]?
    /// The unit's soft state per sale (stock it can promise, demand), shown in the config-center's status.
    public var pulses: [String: Pulse]?

    public init(
        unit: String, region: String, url: String, configVersion: Int64, sales: [String: LedgerRow],
        knownRows: [String: [NodeID: LedgerRow]]? = nil, pulses: [String: Pulse]? = nil
    ) {
        self.unit = unit
        self.region = region
        self.url = url
        self.configVersion = configVersion
        self.sales = sales
        self.knownRows = knownRows
        self.pulses = pulses
    }
}
