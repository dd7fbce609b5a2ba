// A unit in the simulation: the real `UnitMachine`, with a simulated disk that loses what was not persisted.

import FlashSaleCore

/// One unit as the node runs it: the machine decides, and this carries its effects to a simulated disk, the way
/// `PurchaseDesk` and the group-commit writer carry them to SQLite. An admitted order is in flight until the next
/// group commit (`commit`); a crash loses what is in flight (those buyers were never answered, and retry with their
/// idempotency key) and the machine with it; a restart rebuilds the machine from the disk alone, as a node does.
struct SimUnit {
    let id: NodeID
    let terms: SaleTerms
    /// What the unit wrote durably: the ledger as it knew it at its last write, and its orders (with their status).
    private(set) var disk: RightsLedger
    private(set) var diskOrders: [Order] = []
    /// Other nodes' rows as their owners signed them, and the config-center's witness, kept durably with the ledger.
    private(set) var kept = SimKeptRows()
    /// Nil while the unit is down.
    private(set) var machine: UnitMachine?
    /// Orders admitted and not yet written: lost at a crash.
    private(set) var inFlight: [Order] = []
    private(set) var board = PulseBoard()
    /// Keys of the orders on disk, and orders holding stock per user: kept as orders are written, so that the checks
    /// after every step cost nothing per order.
    private var diskKeys: Set<String> = []
    private var holdingByUser: [String: Int] = [:]
    /// Orders on disk that hold stock (reserved or paid).
    private(set) var holding = 0
    /// Promises the disk broke (two orders for one key, a user over the limit), for `Simulation.check`.
    private(set) var violations: [String] = []

    init(id: NodeID, terms: SaleTerms, ledger: RightsLedger, trustsRows: Bool = false) {
        self.kept.trustsRows = trustsRows
        self.id = id
        self.terms = terms
        self.disk = ledger
        restart()
    }

    var isUp: Bool { machine != nil }

    /// The machine's purchase book of the sale, while the unit is up.
    var book: PurchaseBook? { machine?.sales[terms.id]?.book }

    /// Rights the unit may still sell, in its own view.
    var available: Int64 { book?.available ?? 0 }

    /// One buyer tries to buy, with an idempotency key; an admitted order waits for the next `commit`.
    mutating func purchase(user: String, key: String, nowMs: Int64) -> UnitMachine.PurchaseDecision? {
        // In place (`machine?.`): a copy of the machine would make each event copy its books.
        let decision = machine?.purchase(sale: terms.id, user: user, idempotencyKey: key, nowMs: nowMs)
        if case .persist(let order) = decision { inFlight.append(order) }
        return decision
    }

    /// The group commit: every order in flight is written, then the machine learns it (only now is it sold and
    /// acknowledged). Returns the orders acknowledged.
    mutating func commit() -> [Order] {
        guard isUp, !inFlight.isEmpty else { return [] }
        let written = inFlight
        inFlight = []
        diskOrders += written
        for order in written {
            if let key = order.idempotencyKey, !diskKeys.insert(key).inserted { violations.append("two orders for key \(key)") }
            holdingByUser[order.userID, default: 0] += 1
            holding += 1
            if holdingByUser[order.userID, default: 0] > terms.perUserLimit { violations.append("\(order.userID) over the limit") }
            machine?.persisted(order)
        }
        writeLedger()
        return written
    }

    /// A buyer cancels (or the payment window closes on) the order at `index` of the disk: written first, then the
    /// machine gets the stock back.
    mutating func release(orderAt index: Int) {
        guard isUp, diskOrders.indices.contains(index), diskOrders[index].status == .reserved else { return }
        diskOrders[index].status = .cancelled
        holdingByUser[diskOrders[index].userID, default: 1] -= 1
        holding -= 1
        machine?.released(sale: terms.id, orders: [diskOrders[index]])
        writeLedger()
    }

    /// Gives rights to `node`: set aside in the machine, written to disk before anyone can hear of it, then counted.
    mutating func grant(_ amount: Int64, to node: NodeID) throws {
        guard isUp, let total = try machine?.reserveGrant(sale: terms.id, amount: amount, to: node) else { return }
        disk.merge(LedgerRow(grantedTo: [node: total]), of: id)
        machine?.grantPersisted(sale: terms.id, amount: amount, to: node)
    }

    func pulse(nowMs: Int64) -> Pulse? { machine?.pulse(sale: terms.id, nowMs: nowMs) }

    /// Its own durable row signed now, and the other rows as their owners signed them (never its merged replica).
    func digest(nowMs: Int64) -> GossipDigest? {
        guard isUp else { return nil }
        return kept.digest(sale: terms.id, owner: id, row: disk.row(id), pulse: pulse(nowMs: nowMs))
    }

    /// Folds in a peer's digest: the other nodes' rows it takes by the node's rule (`RowIntake`: signed by their
    /// owners, one history each, none overdrawn; other units' grants to it only as the config-center's witness has
    /// them), written to disk, then given to the machine; and its pulse.
    mutating func absorb(_ digest: GossipDigest) {
        guard let ledger = book?.ledger else { return }
        let counted = kept.count(digest, receiver: id, ledger: ledger)
        disk.merge(RightsLedger(rows: counted.rows.filter { $0.key != id }))
        machine?.merge(sale: terms.id, others: counted)
        if let pulse = digest.pulse { board.record(pulse) }
    }

    /// The rebalancing decisions of this round, applied.
    mutating func rebalance(policy: RebalancePolicy, nowMs: Int64, maxPulseAgeMs: Int64) throws -> [NodeID: Int64] {
        guard let me = pulse(nowMs: nowMs) else { return [:] }
        let grants = policy.grants(me: me, peers: board.fresh(atMs: nowMs, maxAgeMs: maxPulseAgeMs, excluding: id))
        for (node, amount) in grants.sorted(by: { $0.key < $1.key }) { try grant(amount, to: node) }
        return grants
    }

    /// Crash: memory is gone, orders in flight with it; the disk stays.
    mutating func crash() {
        machine = nil
        inFlight = []
        board = PulseBoard()
    }

    /// Restart from the disk alone: the ledger it wrote and its orders, as `UnitStartup` loads them.
    mutating func restart() {
        var machine = UnitMachine(unit: id, lastOrderID: diskOrders.last?.id, gossiping: true)
        machine.load(
            terms: terms, ledger: disk, orders: diskOrders.filter(\.status.holdsStock),
            keyed: diskOrders.filter { $0.idempotencyKey != nil })
        self.machine = machine
    }

    /// The unit's own row as the disk has it follows its orders and grants: written after each durable event.
    private mutating func writeLedger() {
        guard let book else { return }
        disk.merge(book.ledger.row(id), of: id)
    }
}
