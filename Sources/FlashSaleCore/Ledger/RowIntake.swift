// Which of the rows a node receives it takes: the one rule for units, the config-center and the simulation.

/// What a node does with other nodes' rows of one sale, each already proven to be written by its owner (its
/// signature checked): a row that conflicts with the owner's row kept so far is refused (the owner signed two
/// histories), an older one brings nothing, and of the newer ones only those the ledger can admit are taken
/// (`RightsLedger.admissible`: no owner gives or sells more than it holds).
public struct RowIntake: Sendable, Equatable {
    /// Rows to merge and keep as the owners' signed copies, by owner.
    public var taken: [NodeID: LedgerRow] = [:]
    /// Owners whose row is neither older nor newer than the copy kept.
    public var conflicting: [NodeID] = []
    /// Owners whose row would leave them with negative rights in this ledger.
    public var overdrawn: [NodeID] = []

    public init() {}

    /// Sorts `rows` against `kept` (the owners' signed rows this node keeps, by owner) and `ledger` (its replica).
    public init(_ rows: [NodeID: LedgerRow], kept: [NodeID: LedgerRow], ledger: RightsLedger) {
        var newer: [NodeID: LedgerRow] = [:]
        for (node, row) in rows.sorted(by: { $0.key < $1.key }) {
            switch row.succession(after: kept[node]) {
            case .newer: newer[node] = row
            case .known: break
            case .conflicting: conflicting.append(node)
            }
        }
        (taken, overdrawn) = ledger.admissible(newer)
    }
}
