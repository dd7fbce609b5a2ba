// The bounded counter of docs/ARCHITECTURE.md (Balegas et al., SRDS 2015): a sale's stock as rights spread over nodes.

/// One sale's stock rights across the config-center and the units.
///
/// rights(i) = minted(i) + Σⱼ granted[j][i] − Σⱼ granted[i][j] − consumed(i) + released(i). A node only sells or
/// grants while its own rights stay ≥ 0, and only the node itself changes its row, so the sum of every node's
/// rights plus what is held by orders always equals what was minted: stock is never oversold nor lost.
/// Replicas converge by `merge` (pointwise max of rows).
public struct RightsLedger: Sendable, Hashable, Codable {
    /// Every node's row as known here; a missing row is all zeros.
    public private(set) var rows: [NodeID: LedgerRow]

    public init(rows: [NodeID: LedgerRow] = [:]) { self.rows = rows }

    public func row(_ node: NodeID) -> LedgerRow { rows[node] ?? LedgerRow() }

    /// Rights node `node` holds: what it may still sell or grant.
    public func rights(of node: NodeID) -> Int64 {
        let own = row(node)
        return own.minted + received(by: node) - own.grantedTotal - own.consumed + own.released
    }

    /// Everything any node has ever granted to `node`.
    public func received(by node: NodeID) -> Int64 {
        rows.values.reduce(0) { $0 + ($1.grantedTo[node] ?? 0) }
    }

    /// Stock created for the sale.
    public var totalMinted: Int64 { rows.values.reduce(0) { $0 + $1.minted } }
    /// Orders held across all nodes (sold and not returned).
    public var totalHeld: Int64 { rows.values.reduce(0) { $0 + $1.held } }
    /// Every node that appears in the ledger, as owner or as grantee.
    public var nodes: Set<NodeID> {
        Set(rows.keys).union(rows.values.flatMap { $0.grantedTo.keys })
    }

    /// The config-center creates `amount` more stock.
    public mutating func mint(_ amount: Int64, by node: NodeID) throws(LedgerError) {
        try Self.requirePositive(amount)
        guard node == .center else { throw .onlyCenterMints(node) }
        rows[node, default: LedgerRow()].minted += amount
    }

    /// `from` gives `amount` of its rights to `to`.
    public mutating func grant(_ amount: Int64, from: NodeID, to: NodeID) throws(LedgerError) {
        try Self.requirePositive(amount)
        guard from != to else { throw .grantToSelf(from) }
        let held = rights(of: from)
        guard held >= amount else { throw .insufficientRights(node: from, held: held, wanted: amount) }
        rows[from, default: LedgerRow()].grantedTo[to, default: 0] += amount
        precondition(rights(of: from) >= 0, "invariant: rights >= 0 after a grant")
    }

    /// `node` sells `amount` units from its rights.
    public mutating func consume(_ amount: Int64, at node: NodeID) throws(LedgerError) {
        try Self.requirePositive(amount)
        let held = rights(of: node)
        guard held >= amount else { throw .insufficientRights(node: node, held: held, wanted: amount) }
        rows[node, default: LedgerRow()].consumed += amount
        precondition(rights(of: node) >= 0, "invariant: rights >= 0 after a sale")
    }

    /// Orders of `node` worth `amount` units expired or were cancelled: the units return to its rights.
    public mutating func release(_ amount: Int64, at node: NodeID) throws(LedgerError) {
        try Self.requirePositive(amount)
        let held = row(node).held
        guard held >= amount else { throw .releaseExceedsHeld(node: node, held: held, wanted: amount) }
        rows[node, default: LedgerRow()].released += amount
    }

    /// Folds another replica's knowledge in. Commutative, associative and idempotent.
    public mutating func merge(_ other: RightsLedger) {
        for (node, row) in other.rows { merge(row, of: node) }
    }

    /// Folds in one copy of `node`'s row.
    public mutating func merge(_ row: LedgerRow, of node: NodeID) {
        if let mine = rows[node] {
            rows[node] = mine.merged(with: row)
        } else {
            rows[node] = row
        }
    }

    /// Of other nodes' `rows` (each already proven to be its owner's), those this ledger can take: once they are all
    /// merged, each of their owners has non-negative rights. An owner's signature proves only that it wrote its row;
    /// this refuses a row in which a node gives or sells more than it holds (a compromised unit granting another
    /// 1,000 it never had), which would otherwise make an honest node sell stock never minted.
    ///
    /// The rows are taken together, not one by one: two units that gave each other stock each look overdrawn
    /// without the other's row, and taking them one at a time would refuse both for ever. So all are tried, the
    /// overdrawn are dropped, and again until none is (dropping a row only lowers what others received, so this
    /// ends with the largest set that holds). No set can create stock: every grant in it is counted against its
    /// giver. An honest row refused because this ledger has not yet heard of a grant to its owner comes again with
    /// the next gossip and is taken once that grant is known.
    public func admissible(_ rows: [NodeID: LedgerRow]) -> (taken: [NodeID: LedgerRow], refused: [NodeID]) {
        var taken = rows
        var refused: [NodeID] = []
        while true {
            var trial = self
            for (node, row) in taken { trial.merge(row, of: node) }
            let overdrawn = taken.keys.filter { trial.rights(of: $0) < 0 }
            if overdrawn.isEmpty { return (taken, refused.sorted()) }
            for node in overdrawn { taken[node] = nil }
            refused += overdrawn
        }
    }

    private static func requirePositive(_ amount: Int64) throws(LedgerError) {
        guard amount > 0 else { throw .amountNotPositive(amount) }
    }
}
