// A unit in the simulation: the real purchase book and rebalancing policy, with a disk that survives crashes.

import FlashSaleCore

struct SimUnit {
    let id: NodeID
    let terms: SaleTerms
    /// What the unit wrote durably: the ledger as it knew it at its last write, and its orders.
    private(set) var disk: RightsLedger
    private(set) var diskOrders: [Order] = []
    /// Other nodes' rows as their owners signed them, kept durably with the ledger.
    private(set) var kept = SimKeptRows()
    /// Nil while the unit is down.
    private(set) var book: PurchaseBook?
    private var sequence: OrderIDSequence
    private(set) var meter = DemandMeter(halfLifeMs: 2_000)
    private(set) var board = PulseBoard()

    init(id: NodeID, terms: SaleTerms, ledger: RightsLedger, trustsRows: Bool = false) {
        self.kept.trustsRows = trustsRows
        self.id = id
        self.terms = terms
        self.disk = ledger
        self.book = PurchaseBook(unit: id, terms: terms, ledger: ledger)
        self.sequence = OrderIDSequence(unit: id)
    }

    var isUp: Bool { book != nil }

    /// Rights the unit may still sell, in its own view.
    var available: Int64 { book?.available ?? 0 }

    /// One buyer tries to buy; an admitted order is written (committed) before it is acknowledged.
    mutating func purchase(user: String, nowMs: Int64) -> Bool {
        guard var book else { return false }
        meter.record(atMs: nowMs)
        guard book.admission(for: user) == .admit else { return false }
        let order = Order(id: sequence.next(nowMs: nowMs), saleID: terms.id, userID: user)
        book.hold(order)
        book.committed(count: 1)
        diskOrders.append(order)
        disk = book.ledger
        self.book = book
        return true
    }

    /// Gives rights to `node`; durable before anyone can hear of it.
    mutating func grant(_ amount: Int64, to node: NodeID) throws {
        guard var book else { return }
        try book.grant(amount, to: node)
        disk = book.ledger
        self.book = book
    }

    func pulse(nowMs: Int64) -> Pulse? {
        guard isUp else { return nil }
        return Pulse(node: id, available: available, demandPerSecond: meter.rate(atMs: nowMs), heartbeatMs: nowMs)
    }

    /// Its own row signed now, and the other rows as their owners signed them (never its merged replica).
    func digest(nowMs: Int64) -> GossipDigest? {
        guard let book else { return nil }
        return kept.digest(sale: terms.id, owner: id, row: book.ledger.row(id), pulse: pulse(nowMs: nowMs))
    }

    /// Folds in a peer's digest: the other nodes' rows it takes by the node's rule (`RowIntake`: signed by their
    /// owners, one history each, none overdrawn; other units' grants to it only as the config-center's witness has
    /// them), made durable with the rest of the ledger, and its pulse.
    mutating func absorb(_ digest: GossipDigest) {
        guard var book else { return }
        book.merge(kept.count(digest, receiver: id, ledger: book.ledger))
        disk = book.ledger
        self.book = book
        if let pulse = digest.pulse { board.record(pulse) }
    }

    /// The rebalancing decisions of this round, applied.
    mutating func rebalance(policy: RebalancePolicy, nowMs: Int64, maxPulseAgeMs: Int64) throws -> [NodeID: Int64] {
        guard let me = pulse(nowMs: nowMs) else { return [:] }
        let grants = policy.grants(me: me, peers: board.fresh(atMs: nowMs, maxAgeMs: maxPulseAgeMs, excluding: id))
        for (node, amount) in grants.sorted(by: { $0.key < $1.key }) { try grant(amount, to: node) }
        return grants
    }

    /// Crash: memory is gone, the disk stays.
    mutating func crash() {
        book = nil
        board = PulseBoard()
        meter = DemandMeter(halfLifeMs: 2_000)
    }

    /// Restart from the disk: the ledger it wrote and the orders it holds.
    mutating func restart() {
        book = PurchaseBook(unit: id, terms: terms, ledger: disk, holding: diskOrders)
        sequence = OrderIDSequence(unit: id, resumingAfter: diskOrders.last?.id)
    }
}
