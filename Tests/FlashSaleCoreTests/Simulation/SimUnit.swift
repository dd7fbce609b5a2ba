// A unit in the simulation: the real `UnitMachine`, with a simulated disk that loses what was not persisted, or all.

import FlashSaleCore

/// One unit as the node runs it: the machine decides, and this carries its effects to a simulated disk and tells the
/// machine what the disk made durable (`UnitMachine.Event`), the way the group-commit writer does with SQLite. An
/// admitted order is in flight until the next group commit (`commit`); a crash loses what is in flight (those buyers
/// were never answered, and retry with their idempotency key) and the machine with it; a restart rebuilds the machine
/// from the disk alone, as a node does. In some seeds the whole disk is lost (`loseDisk`): the unit starts recovering,
/// takes its own row back from the config-center's copy and its peers' (`adoptConfig`, `absorb`), and sells again
/// only when the machine says it has heard enough (`finishRecoveryIfReady`).
struct SimUnit {
    let id: NodeID
    let terms: SaleTerms
    /// What the unit wrote durably: the ledger as it knew it at its last write, and its orders (with their status).
    private(set) var disk: RightsLedger
    private(set) var diskOrders: [Order] = []
    /// Other nodes' rows as their owners signed them, and the config-center's witness, kept durably with the ledger.
    private(set) var kept = SimKeptRows()
    /// Whether the disk says the unit is still recovering a lost database (`local_node.recovering` in the node): a
    /// restart in the middle of recovery goes on recovering.
    private(set) var diskRecovering = false
    /// Whether the machine has its sale: a recovering unit gets it from the config-center (`adoptConfig`).
    private(set) var hasConfig = true
    /// Nil while the unit is down.
    private(set) var machine: UnitMachine?
    /// Orders admitted and not yet written: lost at a crash.
    private(set) var inFlight: [Order] = []
    private(set) var board = PulseBoard()
    /// When a grant from each other unit last reached it (the policy's cooldown), and when it last asked for stock
    /// (`PullRule`): soft state, lost at a crash, as in the node. The receipts compare kept rows, as the node compares its
    /// kept copies in SQLite.
    private(set) var receivedAtMs: [NodeID: Int64] = [:]
    private(set) var lastAsk: PullRule.Ask?
    /// Keys of the orders acknowledged, and orders holding stock per user: the buyers' side, kept as orders are
    /// written (and kept when a disk is lost: those buyers still hold their orders), so that the checks after every
    /// step cost nothing per order.
    private var diskKeys: Set<String> = []
    private var holdingByUser: [String: Int] = [:]
    /// Orders on the present disk that hold stock (reserved or paid).
    private(set) var holding = 0
    /// Orders acknowledged that hold stock, whatever disk they were on: what buyers hold from this unit.
    private(set) var buyersHold: Int64 = 0
    /// Promises the disk broke (two orders for one key, a user over the limit), for `Simulation.check`.
    private(set) var violations: [String] = []
    /// While recovering: the row the lost disk had (the truth of what the unit did), and the copies of it that other
    /// nodes held when it was lost, by node (`Simulation.loseDisk`).
    private(set) var lostRow: LedgerRow?
    var copiesAtLoss: [NodeID: LedgerRow] = [:]
    /// What recovery restored of the unit's row and is not in its orders (`recovered_sold` in the node).
    private(set) var recoveredHeld: Int64 = 0
    /// Orders acknowledged that no other node had heard of when the disk was lost: recovery cannot bring them back
    /// (ARCHITECTURE, "a new database"), so the unit may sell their stock again. Counted, so the checks allow exactly
    /// this much and no more.
    private(set) var forgotten: Int64 = 0
    private(set) var disksLost = 0
    private(set) var recoveries = 0
    /// The simulation's units wait for every peer (a down peer comes back, a partition heals): a unit that gives up
    /// on a silent peer (`RecoveryProgress.patienceMs`, 5 s in the node) may sell again what only that peer knew, and
    /// the peer's copy of its row then conflicts with its new rows (ARCHITECTURE, "Limits"); `RecoveryProgressTests` and
    /// `LostDatabaseTests` cover that path.
    let patienceMs = Int64.max

    init(id: NodeID, terms: SaleTerms, ledger: RightsLedger, trustsRows: Bool = false) {
        self.kept.trustsRows = trustsRows
        self.id = id
        self.terms = terms
        self.disk = ledger
        restart()
    }

    var isUp: Bool { machine != nil }
    var isRecovering: Bool { machine?.isRecovering ?? diskRecovering }

    /// The machine's purchase book of the sale, while the unit is up.
    var book: PurchaseBook? { machine?.sales[terms.id]?.book }

    /// Rights the unit may still sell, in its own view (none while it recovers: it sells nothing then).
    var available: Int64 { isRecovering ? 0 : book?.available ?? 0 }

    /// The unit's row in truth: what its disk says, or while it recovers what its lost disk said.
    var trueRow: LedgerRow {
        lostRow?.merged(with: disk.row(id)) ?? disk.row(id)
    }

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
            buyersHold += 1
            if holdingByUser[order.userID, default: 0] > terms.perUserLimit { violations.append("\(order.userID) over the limit") }
            machine?.apply(.persisted(order))
        }
        writeLedger()
        return written
    }

    /// A buyer cancels (or the payment window closes on) the order at `index` of the disk: written first, then the
    /// machine gets the stock back.
    mutating func release(orderAt index: Int) {
        guard isUp, !isRecovering, diskOrders.indices.contains(index), diskOrders[index].status == .reserved else { return }
        diskOrders[index].status = .cancelled
        holdingByUser[diskOrders[index].userID, default: 1] -= 1
        holding -= 1
        buyersHold -= 1
        machine?.apply(.released(sale: terms.id, orders: [diskOrders[index]]))
        writeLedger()
    }

    /// Gives rights to `node`: set aside in the machine, written to disk before anyone can hear of it, then counted.
    mutating func grant(_ amount: Int64, to node: NodeID) throws {
        guard isUp, !isRecovering, let total = try machine?.reserveGrant(sale: terms.id, amount: amount, to: node) else { return }
        disk.merge(LedgerRow(grantedTo: [node: total]), of: id)
        machine?.apply(.grantPersisted(sale: terms.id, amount: amount, to: node))
    }

    func pulse(nowMs: Int64) -> Pulse? { machine?.pulse(sale: terms.id, nowMs: nowMs) }

    /// Its own durable row signed now, and the other rows as their owners signed them (never its merged replica). A
    /// recovering unit gossips too, as the node does (the answers are how it hears its peers): its row as restored so far.
    func digest(nowMs: Int64) -> GossipDigest? {
        guard isUp else { return nil }
        return kept.digest(sale: terms.id, owner: id, row: disk.row(id), pulse: pulse(nowMs: nowMs))
    }

    /// Folds in a peer's digest: the other nodes' rows it takes by the node's rule (`RowIntake`: signed by their
    /// owners, one history each, none overdrawn; other units' grants to it only as the config-center's witness has
    /// them), written to disk, then given to the machine; and its pulse. While recovering it also takes back the copy
    /// of its own row that it signed (after the witness, as the node does), and the machine hears from the sender.
    mutating func absorb(_ digest: GossipDigest, nowMs: Int64) {
        guard let ledger = book?.ledger else { return }
        let receivedBefore = receivedByDonor
        let counted = kept.count(digest, receiver: id, ledger: ledger)
        disk.merge(RightsLedger(rows: counted.rows.filter { $0.key != id }))
        if isRecovering, let mine = digest.rows[id], SimSignature.isValid(digest.signatures[id], row: mine, of: id) {
            disk.merge(mine, of: id)
        }
        machine?.apply(.merged(sale: terms.id, others: counted))
        if isRecovering { machine?.apply(.heard(from: digest.from)) }
        if let pulse = digest.pulse { board.record(pulse, heardAtMs: nowMs) }
        for (donor, total) in receivedByDonor where total > receivedBefore[donor, default: 0] { receivedAtMs[donor] = nowMs }
    }

    /// What each other unit's row, as kept (witnessed or not yet), says it granted this unit: the node notes a grant
    /// as soon as its row arrives, so the cooldown starts before the grant can be sold.
    private var receivedByDonor: [NodeID: Int64] {
        kept.rows.compactMapValues { $0.grantedTo[id] }.filter { $0.key != .center && $0.key != id }
    }

    /// The rebalancing decisions now, applied: the policy with its allocation floor and its cooldown, as the node
    /// runs it (`GossipExchange.rebalance`).
    mutating func rebalance(policy: RebalancePolicy, nowMs: Int64, maxPulseAgeMs: Int64) throws -> [NodeID: Int64] {
        guard !isRecovering, let me = pulse(nowMs: nowMs), let book else { return [:] }
        let grants = policy.grants(
            me: me, peers: board.fresh(atMs: nowMs, maxAgeMs: maxPulseAgeMs, excluding: id, heardSince: receivedAtMs.values.max()),
            allocation: book.ledger.row(.center).grantedTo[id] ?? 0,
            receivedAgoMs: receivedAtMs.mapValues { nowMs - $0 })
        for (node, amount) in grants.sorted(by: { $0.key < $1.key }) { try grant(amount, to: node) }
        return grants
    }

    /// The peers to ask for stock now (`PullRule`), or none; an ask is remembered for the rule's spacing.
    mutating func ask(rule: PullRule, nowMs: Int64, maxPulseAgeMs: Int64) -> [NodeID] {
        guard !isRecovering, let me = pulse(nowMs: nowMs), let book,
            let (donors, ask) = rule.ask(
                me: me, rightsElsewhere: book.rightsElsewhere, last: lastAsk, received: book.ledger.received(by: id),
                peers: board.fresh(atMs: nowMs, maxAgeMs: maxPulseAgeMs, excluding: id), nowMs: nowMs)
        else { return [] }
        lastAsk = ask
        return donors
    }

    /// Crash: memory is gone, orders in flight with it; the disk stays.
    mutating func crash() {
        machine = nil
        inFlight = []
        board = PulseBoard()
        receivedAtMs = [:]
        lastAsk = nil
    }

    /// The whole disk is gone (a crash with it): the unit comes back on a new database, recovering. `copies` are the
    /// copies of its row other nodes hold now (the checks hold recovery to them).
    mutating func loseDisk(copies: [NodeID: LedgerRow]) {
        let truth = trueRow
        crash()
        lostRow = truth
        copiesAtLoss = copies
        disk = RightsLedger()
        diskOrders = []
        kept = SimKeptRows(trustsRows: kept.trustsRows)
        holding = 0
        recoveredHeld = 0
        diskRecovering = true
        disksLost += 1
    }

    /// Restart from the disk alone: the ledger it wrote and its orders, as the node loads them. A unit whose disk says
    /// it is recovering starts so, and waits for the config-center again.
    mutating func restart() {
        var machine = UnitMachine(
            unit: id, lastOrderID: diskOrders.last?.id, gossiping: true,
            recovery: diskRecovering ? RecoveryProgress(patienceMs: patienceMs) : nil)
        hasConfig = !diskRecovering
        if hasConfig {
            machine.apply(
                .loaded(
                    terms: terms, ledger: disk, orders: diskOrders.filter(\.status.holdsStock),
                    keyed: diskOrders.filter { $0.idempotencyKey != nil }))
        }
        self.machine = machine
    }

    /// A recovering unit gets the configuration: the config-center's row, its witness of grants between units and
    /// its copy of this unit's row (`remembered`), written first (as `ConfigFollower.adopt` does); then the machine
    /// loads the sale and waits for `peers`.
    mutating func adoptConfig(centerRow: LedgerRow, witness: GrantWitness, remembered: LedgerRow?, peers: Set<NodeID>, nowMs: Int64) {
        guard isUp, !hasConfig else { return }
        disk.merge(centerRow, of: .center)
        disk.merge(RightsLedger(rows: witness.rows(except: id)))
        if let remembered { disk.merge(remembered, of: id) }
        machine?.apply(.loaded(terms: terms, ledger: disk, orders: [], keyed: []))
        machine?.apply(.centerRestored(peers: peers, atMs: nowMs))
        hasConfig = true
    }

    /// Once the machine has heard enough: the disk marks recovery done and the machine rebuilds its book from it (one
    /// write, then the events, as `UnitRecovery` does). Returns the row restored.
    mutating func finishRecoveryIfReady(nowMs: Int64) -> (restored: LedgerRow, silent: Set<NodeID>)? {
        guard let machine, machine.recoveryIsComplete(atMs: nowMs) else { return nil }
        let silent = machine.recovery?.silentPeers ?? []
        diskRecovering = false
        let restored = disk.row(id)
        recoveredHeld = restored.held - Int64(holding)
        if let lostRow { forgotten += max(lostRow.held - restored.held, 0) }
        lostRow = nil
        self.machine?.apply(.loaded(terms: terms, ledger: disk, orders: [], keyed: []))
        self.machine?.apply(.recovered)
        recoveries += 1
        return (restored, silent)
    }

    /// The unit's own row as the disk has it follows its orders and grants: written after each durable event.
    private mutating func writeLedger() {
        guard let book else { return }
        disk.merge(book.ledger.row(id), of: id)
    }
}
