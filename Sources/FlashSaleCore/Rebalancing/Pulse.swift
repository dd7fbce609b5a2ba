// The soft state a unit gossips about itself next to the ledger: how much it can sell and how fast it sells.

/// A unit's own report of its stock and demand for one sale. Newer pulses (higher `heartbeatMs`) replace older
/// ones; unlike ledger rows they are not merged, because they describe the present, not a history.
public struct Pulse: Sendable, Hashable, Codable {
    public var node: NodeID
    /// Rights the node can still promise (durable rights minus orders in flight).
    public var available: Int64
    /// Purchase attempts per second, smoothed (`DemandMeter`).
    public var demandPerSecond: Double
    /// The node's clock when it made this pulse; orders pulses from one node.
    public var heartbeatMs: Int64

    public init(node: NodeID, available: Int64, demandPerSecond: Double, heartbeatMs: Int64) {
        self.node = node
        self.available = available
        self.demandPerSecond = demandPerSecond
        self.heartbeatMs = heartbeatMs
    }

    /// Seconds until this node runs dry at its current demand; infinite when nobody is buying there.
    public var secondsOfStock: Double {
        demandPerSecond > 0 ? Double(max(available, 0)) / demandPerSecond : .infinity
    }
}

extension Pulse {
    private enum CodingKeys: String, CodingKey {
        case node, available, demandPerSecond, heartbeatMs
    }

    /// Refuses numbers out of `WireBounds`: a pulse from the network feeds the rebalancing arithmetic.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            node: try container.decode(NodeID.self, forKey: .node),
            available: try container.decode(Int64.self, forKey: .available, in: WireBounds.available),
            demandPerSecond: try container.decode(Double.self, forKey: .demandPerSecond, in: WireBounds.rate),
            heartbeatMs: try container.decode(Int64.self, forKey: .heartbeatMs, in: WireBounds.timeMs))
    }
}
