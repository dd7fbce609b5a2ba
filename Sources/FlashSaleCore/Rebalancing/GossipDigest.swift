// What one node sends another about one sale in a gossip exchange.

/// A node's knowledge of a sale's ledger (every row it has, its own included) and its latest pulse. Rows merge
/// by pointwise max, so a digest can be lost, duplicated, delayed or reordered without harm; a pulse is kept
/// only if it is newer than the one already known.
///
/// Each row travels with its owner's signature (`signatures`, hex Ed25519, see `RowSignature` in FlashSaleAPI), so
/// a node that relays another's row cannot alter it: a row without its owner's signature is believed by no one.
public struct GossipDigest: Sendable, Hashable, Codable {
    public var sale: String
    public var from: NodeID
    public var rows: [NodeID: LedgerRow]
    /// The owner's signature of each row, by owner.
    public var signatures: [NodeID: String]
    /// The sender's own soft state; the config-center sends none.
    public var pulse: Pulse?
    /// The config-center's account of grants between units (`GrantWitness`), as fresh as the sender has it, and the
    /// config-center's signature of it (hex Ed25519): a unit counts a grant from another unit only up to this.
    public var witness: GrantWitness?
    public var witnessSignature: String?

    public init(
        sale: String, from: NodeID, rows: [NodeID: LedgerRow], signatures: [NodeID: String] = [:], pulse: Pulse?,
        witness: GrantWitness? = nil, witnessSignature: String? = nil
    ) {
        self.sale = sale
        self.from = from
        self.rows = rows
        self.signatures = signatures
        self.pulse = pulse
        self.witness = witness
        self.witnessSignature = witnessSignature
    }
}

extension GossipDigest {
    private enum CodingKeys: String, CodingKey {
        case sale, from, rows, signatures, pulse, witness, witnessSignature
    }

    /// Longest signature text a digest may carry (an Ed25519 signature is 128 hex digits).
    public static let signatureBytesMax = 128

    /// Refuses a digest that names more nodes than a message may carry, a signature longer than one, or a sale id
    /// that is not an id (the witness checks its own entries, `GrantWitness.init(from:)`).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let sale = try container.decode(String.self, forKey: .sale, maxBytes: IdentifierRule.idMaxLength)
        guard IdentifierRule.isValidID(sale) else {
            throw DecodingError.dataCorruptedError(forKey: .sale, in: container, debugDescription: "not a sale id")
        }
        let signatures = try container.decodeIfPresent([NodeID: String].self, forKey: .signatures) ?? [:]
        let witnessSignature = try container.decodeIfPresent(String.self, forKey: .witnessSignature)
        guard signatures.count <= WireBounds.entriesMax,
            signatures.values.allSatisfy({ $0.utf8.count <= Self.signatureBytesMax }),
            (witnessSignature?.utf8.count ?? 0) <= Self.signatureBytesMax
        else {
            throw DecodingError.dataCorruptedError(
                forKey: .signatures, in: container, debugDescription: "too many signatures, or one too long")
        }
        self.init(
            sale: sale, from: try container.decode(NodeID.self, forKey: .from),
            rows: try container.decode([NodeID: LedgerRow].self, forKey: .rows, maxCount: WireBounds.entriesMax),
            signatures: signatures, pulse: try container.decodeIfPresent(Pulse.self, forKey: .pulse),
            witness: try container.decodeIfPresent(GrantWitness.self, forKey: .witness), witnessSignature: witnessSignature)
    }
}

/// The latest pulse per node, newest heartbeat wins, and when this node heard it (its own clock).
public struct PulseBoard: Sendable, Hashable {
    public private(set) var pulses: [NodeID: Pulse] = [:]
    /// When each pulse kept was heard, by this node's clock (the sender's `heartbeatMs` is the sender's clock).
    public private(set) var heardAtMs: [NodeID: Int64] = [:]

    public init() {}

    /// Keeps `pulse`, heard at `nowMs`, unless a newer one from its node is kept.
    public mutating func record(_ pulse: Pulse, heardAtMs nowMs: Int64) {
        if let known = pulses[pulse.node], known.heartbeatMs >= pulse.heartbeatMs { return }
        pulses[pulse.node] = pulse
        heardAtMs[pulse.node] = nowMs
    }

    /// Pulses no older than `maxAgeMs` at `nowMs`, except `node`'s own; with `heardSince`, only those heard at or
    /// after it (a unit that just received stock decides on pulses newer than its stock, not on what its peers said
    /// before).
    public func fresh(atMs nowMs: Int64, maxAgeMs: Int64, excluding node: NodeID, heardSince: Int64? = nil) -> [Pulse] {
        pulses.values.filter { pulse in
            guard pulse.node != node, nowMs - pulse.heartbeatMs <= maxAgeMs else { return false }
            guard let heardSince else { return true }
            return heardAtMs[pulse.node, default: .min] >= heardSince
        }.sorted { $0.node < $1.node }
    }
}
