// What the node made durable, told to the unit's machine: the one way durable state reaches it.

extension UnitMachine {
    /// Something the node has written to its disk (or failed to). The node's writer applies each transaction's
    /// events after its commit, all under one acquisition of the machine's lock, so nothing the machine counts, sells
    /// from or tells others was not durable first; the simulation applies the same events after its simulated disk
    /// wrote them.
    public enum Event: Sendable {
        /// An order admitted by `purchase` is durable: it counts as sold.
        case persisted(Order)
        /// An order admitted by `purchase` could not be written: its stock and key come back.
        case notPersisted(Order)
        /// A grant set aside by `reserveGrant` is durable: it counts as given.
        case grantPersisted(sale: String, amount: Int64, to: NodeID)
        /// A grant set aside by `reserveGrant` could not be written: its stock is for sale again.
        case grantAbandoned(sale: String, amount: Int64, to: NodeID)
        /// Other nodes' rows (and grants witnessed to this unit), written.
        case merged(sale: String, others: RightsLedger)
        /// Orders cancelled or expired: their stock is for sale again.
        case released(sale: String, orders: [Order])
        case paid(Order)
        /// A sale as the disk has it (`load`): terms, the durable ledger, and for a sale new to the machine the
        /// orders that hold stock and those with an idempotency key.
        case loaded(terms: SaleTerms, ledger: RightsLedger, orders: [Order], keyed: [Order])
        /// A recovering unit wrote the config-center's copy of its rows at `atMs`; `peers` (the other units) still have
        /// to be heard (`RecoveryProgress`).
        case centerRestored(peers: Set<NodeID>, atMs: Int64)
        /// A recovering unit wrote the copies of its rows that `node`'s gossip carried (only when something was taken:
        /// a message it could not read yet does not count).
        case heard(from: NodeID)
        /// A recovering unit's books were rebuilt from the disk (`.loaded` for every sale, in the same batch): it sells.
        case recovered
        /// The stored configuration's custody view of a sale in this unit's region, with the copies and the caught-up
        /// flag on the disk (`custody(sale:view:copies:caughtUp:)`); after the sale's `.loaded`.
        case custody(sale: String, view: CustodyView, copies: [Order], caughtUp: Bool, copiesLost: Bool)
        /// Copies accepted from an owner (`receiveCopy`) were written.
        case copiesWritten(sale: String, orders: [OrderID])
    }

    /// Applies `event` (see `Event`).
    public mutating func apply(_ event: Event) {
        switch event {
        case .persisted(let order): persisted(order)
        case .notPersisted(let order): notPersisted(order)
        case .grantPersisted(let sale, let amount, let node): grantPersisted(sale: sale, amount: amount, to: node)
        case .grantAbandoned(let sale, let amount, let node): grantAbandoned(sale: sale, amount: amount, to: node)
        case .merged(let sale, let others): merge(sale: sale, others: others)
        case .released(let sale, let orders): released(sale: sale, orders: orders)
        case .paid(let order): paid(order)
        case .loaded(let terms, let ledger, let orders, let keyed): load(terms: terms, ledger: ledger, orders: orders, keyed: keyed)
        case .centerRestored(let peers, let nowMs): centerRestored(peers: peers, atMs: nowMs)
        case .heard(let node): heard(from: node)
        case .recovered: finishRecovery()
        case .custody(let sale, let view, let copies, let caughtUp, let copiesLost):
            custody(sale: sale, view: view, copies: copies, caughtUp: caughtUp, copiesLost: copiesLost)
        case .copiesWritten(let sale, let orders): copiesWritten(sale: sale, orders: orders)
        }
    }
}
