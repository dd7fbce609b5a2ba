// What one node sends another about one sale in a gossip exchange.

/// A node's knowledge of a sale's ledger (every row it has, its own included) and its latest pulse. Rows merge
/// by pointwise max, so a digest can be lost, duplicated, delayed or reordered without harm; a pulse is kept
/// only if it is newer than the one already known.
public struct GossipDigest: Sendable, Hashable, Codable {
    public var sale: String
    public var from: NodeID
    public var rows: [NodeID: LedgerRow]
    /// The sender's own soft state; the config-center sends none.
    public var pulse: Pulse?

    public init(sale: String, from: NodeID, rows: [NodeID: LedgerRow], pulse: Pulse?) {
        self.sale = sale
        self.from = from
        self.rows = rows
        self.pulse = pulse
    }

    /// The digest with `ledger` as its rows.
    public init(sale: String, from: NodeID, ledger: RightsLedger, pulse: Pulse?) {
        self.init(sale: sale, from: from, rows: ledger.rows, pulse: pulse)
    }

    /// `rows` without the receiver's own row: a node is the only writer of its row, so a copy coming back can
    /// only be older than what it has durably (and must never be merged into its own counters).
    public func rows(excluding node: NodeID) -> RightsLedger {
        RightsLedger(rows: rows.filter { $0.key != node })
    }
}

extension GossipDigest {
    private enum CodingKeys: String, CodingKey {
        case sale, from, rows, pulse
    }

    /// Refuses a digest that names more nodes than a message may carry or a sale id that is not an id.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let sale = try container.decode(String.self, forKey: .sale, maxBytes: IdentifierRule.idMaxLength)
        guard IdentifierRule.isValidID(sale) else {
            throw DecodingError.dataCorruptedError(forKey: .sale, in: container, debugDescription: "not a sale id")
        }
        self.init(
            sale: sale, from: try container.decode(NodeID.self, forKey: .from),
            rows: try container.decode([NodeID: LedgerRow].self, forKey: .rows, maxCount: WireBounds.entriesMax),
            pulse: try container.decodeIfPresent(Pulse.self, forKey: .pulse))
    }
}

/// The latest pulse per node, newest heartbeat wins.
public struct PulseBoard: Sendable, Hashable {
    public private(set) var pulses: [NodeID: Pulse] = [:]

    public init() {}

    public mutating func record(_ pulse: Pulse) {
        if let known = pulses[pulse.node], known.heartbeatMs >= pulse.heartbeatMs { return }
        pulses[pulse.node] = pulse
    }

    /// Pulses no older than `maxAgeMs` at `nowMs`, except `node`'s own.
    public func fresh(atMs nowMs: Int64, maxAgeMs: Int64, excluding node: NodeID) -> [Pulse] {
        pulses.values.filter { $0.node != node && nowMs - $0.heartbeatMs <= maxAgeMs }.sorted { $0.node < $1.node }
    }
}
