// The config-center's account of grants between units: what makes a grant from one unit spendable at another.

/// The grants units made in one sale as the config-center's ledger holds them: `grants[from][to]` is the total unit
/// `from` has given `to` (another unit, or the config-center) in the one history of `from`'s row that the
/// config-center took.
///
/// Why it exists: a unit's signature proves it wrote a row, not that it wrote only one. A compromised unit can sign
/// one history granting its rights to one peer and another granting the same rights to a second peer; each peer
/// alone sees a consistent row, and both would sell the same stock (equivocation). The config-center keeps one
/// history per unit (a row that conflicts with the kept one is refused, and a row that leaves its owner with
/// negative rights too), so a grant it has taken was made once, from rights its giver held. A unit therefore
/// counts a grant from another unit only up to what the config-center witnessed (signed by its key, see
/// `WitnessSignature` in FlashSaleAPI): equivocation can fork the rows peers hold, never the rights they sell.
///
/// Grants from the config-center are its own row and need no witness. Grants back to it are counted by it alone, and
/// are witnessed so that every unit's view of the config-center's rights follows the config-center's history. A unit
/// still sells its own share and the witnessed grants while the config-center is down; only new grants between units
/// wait for it.
public struct GrantWitness: Sendable, Hashable, Codable {
    /// Total granted, by giver (a unit, never the config-center) and then by receiver.
    public private(set) var grants: [NodeID: [NodeID: Int64]]

    public init(grants: [NodeID: [NodeID: Int64]] = [:]) {
        self.grants = grants.compactMapValues { row in
            let kept = row.filter { $0.value > 0 }
            return kept.isEmpty ? nil : kept
        }.filter { $0.key != .center }
    }

    /// The units' grants in `ledger` (the config-center's own replica).
    public init(ledger: RightsLedger) {
        self.init(grants: ledger.rows.mapValues(\.grantedTo))
    }

    /// What `from` has given `to`, as witnessed.
    public func amount(from: NodeID, to: NodeID) -> Int64 { grants[from]?[to] ?? 0 }

    /// Number of (giver, receiver) entries.
    public var count: Int { grants.values.reduce(0) { $0 + $1.count } }

    /// True when every entry of `other` is at most the same entry here: `other` brings nothing new.
    public func dominates(_ other: GrantWitness) -> Bool {
        other.grants.allSatisfy { from, row in row.allSatisfy { amount(from: from, to: $0.key) >= $0.value } }
    }

    /// The witnessed grants as rows of their givers, to merge into `receiver`'s ledger (pointwise max), all but
    /// `receiver`'s own (it knows its own grants best). The grants to `receiver` are what it may sell; the others keep
    /// its view of its peers' rights in step with the config-center's, so that after a giver signed two histories an
    /// honest peer that sells a witnessed grant does not look overdrawn to a unit that kept the giver's other history.
    public func rows(except receiver: NodeID) -> [NodeID: LedgerRow] {
        var rows: [NodeID: LedgerRow] = [:]
        for (from, row) in grants where from != receiver { rows[from] = LedgerRow(grantedTo: row) }
        return rows
    }

    /// `rows` of other nodes as `receiver` may count them: a unit's grant to `receiver` is left out (it comes from
    /// the witness alone); everything else stays. The config-center (the witness itself) takes rows as they are.
    public static func withoutUnwitnessed(_ rows: [NodeID: LedgerRow], receiver: NodeID) -> [NodeID: LedgerRow] {
        guard receiver != .center else { return rows }
        var counted = rows
        for (owner, row) in rows where owner != .center && row.grantedTo[receiver] != nil {
            counted[owner]?.grantedTo[receiver] = nil
        }
        return counted
    }
}

extension GrantWitness {
    private enum CodingKeys: String, CodingKey {
        case grants
    }

    /// Refuses more entries than a message may carry, amounts outside `WireBounds.stock`, the config-center as giver,
    /// and grants to oneself: the witness is summed into rights like any row.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let grants = try container.decode([NodeID: [NodeID: Int64]].self, forKey: .grants, maxCount: WireBounds.entriesMax)
        let entries = grants.values.reduce(0) { $0 + $1.count }
        let valid = grants.allSatisfy { from, row in
            from != .center && row.allSatisfy { $0.key != from && WireBounds.stock.contains($0.value) }
        }
        guard entries <= WireBounds.entriesMax, valid else {
            throw DecodingError.dataCorruptedError(
                forKey: .grants, in: container,
                debugDescription: "at most \(WireBounds.entriesMax) grants of units to other nodes, each in \(WireBounds.stock)")
        }
        self.init(grants: grants)
    }
}
