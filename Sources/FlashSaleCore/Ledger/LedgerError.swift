// Why the rights ledger refused an operation; the ledger is unchanged after any of them.

/// A refused ledger operation. Each case leaves the ledger as it was.
public enum LedgerError: Error, Sendable, Equatable {
    /// Amounts are counts of stock: they must be positive.
    case amountNotPositive(Int64)
    /// Only the config-center creates stock.
    case onlyCenterMints(NodeID)
    /// A node cannot grant rights to itself.
    case grantToSelf(NodeID)
    /// The node would go below zero rights.
    case insufficientRights(node: NodeID, held: Int64, wanted: Int64)
    /// More returned than was ever sold.
    case releaseExceedsHeld(node: NodeID, held: Int64, wanted: Int64)
}
