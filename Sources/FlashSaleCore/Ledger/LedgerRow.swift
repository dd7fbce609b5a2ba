// One node's own entries of a sale's bounded counter (docs/ARCHITECTURE.md, "Stock rights: a bounded counter").

/// The entries of the rights counter that one node owns. Only that node writes them and every entry only
/// grows, so two copies of a row merge by taking the larger value of each entry: loss, duplication and
/// reordering of the copies that travel between nodes are harmless.
public struct LedgerRow: Sendable, Hashable, Codable {
    /// Stock created by this node; only the config-center mints.
    public var minted: Int64
    /// Total rights this node has ever given to each other node.
    public var grantedTo: [NodeID: Int64]
    /// Units this node has sold (orders taken), ever.
    public var consumed: Int64
    /// Units returned to this node by orders that expired or were cancelled, ever.
    public var released: Int64

    public init(minted: Int64 = 0, grantedTo: [NodeID: Int64] = [:], consumed: Int64 = 0, released: Int64 = 0) {
        self.minted = minted
        self.grantedTo = grantedTo
        self.consumed = consumed
        self.released = released
    }

    /// Everything this node has given away.
    public var grantedTotal: Int64 { grantedTo.values.reduce(0, +) }

    /// Orders this node holds: sold and not returned.
    public var held: Int64 { consumed - released }

    /// The pointwise maximum of two copies of the same node's row.
    public func merged(with other: LedgerRow) -> LedgerRow {
        LedgerRow(
            minted: max(minted, other.minted),
            grantedTo: grantedTo.merging(other.grantedTo, uniquingKeysWith: max),
            consumed: max(consumed, other.consumed),
            released: max(released, other.released)
        )
    }

    /// True when every entry of `other` is at most the same entry here: merging `other` changes nothing.
    public func dominates(_ other: LedgerRow) -> Bool {
        minted >= other.minted && consumed >= other.consumed && released >= other.released
            && other.grantedTo.allSatisfy { (grantedTo[$0.key] ?? 0) >= $0.value }
    }

    /// How this row, signed by its owner, stands to `known`, the owner's signed row kept so far: an honest owner's
    /// rows only grow, so each new one dominates the last. Neither dominating the other is the owner signing two
    /// histories (showing one peer a grant and another peer a different one with the same rights): such a row is
    /// refused, and the first history stays.
    public func succession(after known: LedgerRow?) -> RowSuccession {
        guard let known else { return .newer }
        if known.dominates(self) { return .known }
        return dominates(known) ? .newer : .conflicting
    }

    /// Whether `node` could have written this row: counters non-negative and at most `bound`, nothing returned
    /// beyond what was sold, no grant to itself, minted only by the config-center. Rows from the network are
    /// checked with this before they are merged.
    public func isPlausible(of node: NodeID, bound: Int64 = WireBounds.stock.upperBound) -> Bool {
        let range = 0...bound
        return range.contains(minted) && (minted == 0 || node == .center) && range.contains(consumed)
            && range.contains(released) && released <= consumed
            && grantedTo.allSatisfy { $0.key != node && range.contains($0.value) }
    }
}

/// Where a received row stands in its owner's history (`LedgerRow.succession(after:)`).
public enum RowSuccession: Sendable, Equatable {
    /// Adds to what is known.
    case newer
    /// Already known, or older: merging it changes nothing.
    case known
    /// Neither older nor newer: the owner signed two histories.
    case conflicting
}

extension LedgerRow {
    private enum CodingKeys: String, CodingKey {
        case minted, grantedTo, consumed, released
    }

    /// Refuses counters out of `WireBounds.stock` and rows with more grantees than a message may name: rows from the
    /// network are summed (rights, totals), and every sum must stay far inside `Int64`. Whether the sender may write
    /// this row at all is `isPlausible(of:)`, checked where the sender is known.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let grantedTo = try container.decode([NodeID: Int64].self, forKey: .grantedTo, maxCount: WireBounds.entriesMax)
        guard grantedTo.values.allSatisfy(WireBounds.stock.contains) else {
            throw DecodingError.dataCorruptedError(
                forKey: .grantedTo, in: container, debugDescription: "a grant is outside \(WireBounds.stock)")
        }
        self.init(
            minted: try container.decode(Int64.self, forKey: .minted, in: WireBounds.stock),
            grantedTo: grantedTo,
            consumed: try container.decode(Int64.self, forKey: .consumed, in: WireBounds.stock),
            released: try container.decode(Int64.self, forKey: .released, in: WireBounds.stock))
    }
}
