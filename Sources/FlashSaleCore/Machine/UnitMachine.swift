// The unit's decisions as one deterministic state machine: what the node runs and what the simulation drives.

/// Everything one unit decides, with no I/O, no clock and no randomness of its own: per sale the purchase book (terms,
/// ledger, holdings, orders in flight) and the demand meter; the order-id sequence; the idempotency index; whether
/// the unit is still recovering a lost database, and how far. Decisions are asked for with the time passed in (a
/// purchase: answer this buyer, or persist this order first; a grant: persist this total first); what the node made
/// durable comes back as `Event`s (`apply`).
///
/// "Durable before visible" is decided here: a purchase is admitted as `.persist(order)` and counts as sold only
/// when `persisted` says the order is in SQLite; a buyer is answered `created` only then. The ledger it sells from
/// holds only what the node wrote durably (its own counters follow persisted orders; others' rows and grants are
/// merged after the node wrote them). The node wraps it in one lock (`LockedMachine`) and its group-commit writer
/// applies each batch's events after the commit; the seeded simulation runs the same type with a simulated disk that
/// loses what was not persisted at a crash, or the whole disk.
public struct UnitMachine: Sendable {
    /// One sale at this unit: the purchase book and the demand meter, together so a purchase looks the sale up once.
    public struct Sale: Sendable {
        public var book: PurchaseBook
        public var meter: DemandMeter
        /// Who serves and guards the sale's buyers in this unit's region, when this unit is one of its owners
        /// (`Custody`): the orders it acknowledges wait for their guardian's copy.
        public var custody: Custody?
    }

    /// What to do with a purchase.
    public enum PurchaseDecision: Sendable, Equatable {
        /// Answer the buyer now: a refusal, or a replay of an order already made.
        case answer(PurchaseOutcome)
        /// Write this order durably; answer `created` once `persisted(_:)` is told it is (or `notPersisted`).
        case persist(Order)
    }

    public let unit: NodeID
    /// When units gossip, a unit out of stock while others hold some says "try again" (503), not "sold out".
    public let gossiping: Bool
    /// Set while a unit that started on a new database waits for its own row from the other nodes: it sells nothing.
    public private(set) var recovery: RecoveryProgress?
    public var isRecovering: Bool { recovery != nil }
    /// Read a sale here with `sales[saleID]?.…`; change it with `withSale`, which changes it where it is stored.
    public internal(set) var sales: [String: Sale] = [:]
    private var sequence: OrderIDSequence
    /// Idempotency keys of every sale at this unit (a key names one request of one user, whatever the sale).
    private(set) var keys = IdempotencyIndex()

    /// A unit on a new database starts with `recovery` (how long it waits for silent peers): it may have sold before.
    public init(unit: NodeID, lastOrderID: OrderID? = nil, gossiping: Bool = false, recovery: RecoveryProgress? = nil) {
        self.unit = unit
        self.gossiping = gossiping
        self.recovery = recovery
        self.sequence = OrderIDSequence(unit: unit, resumingAfter: lastOrderID)
    }

    // MARK: Purchases

    /// One purchase of one unit of `saleID` by `user` (a valid user id) at `nowMs`, with the buyer's idempotency key
    /// if any: a known key first (a retry gets its order back even after the sale ended), then the buyer's demand is
    /// counted, then the sale's phase, the per-user limit and the stock; an admitted order holds its stock and its
    /// key until the node reports whether it was persisted.
    public mutating func purchase(sale saleID: String, user: String, idempotencyKey: String?, nowMs: Int64) -> PurchaseDecision {
        if isRecovering { return .answer(.recovering) }
        if let replay = replay(sale: saleID, user: user, idempotencyKey: idempotencyKey) { return .answer(replay) }
        // The sale is screened and held where `sales` stores it (`withSale`), never copied out of it: a copy retains
        // each of its parts, and a write while a copy lives would copy the book's holdings.
        let gossiping = gossiping
        guard let screening = withSale(saleID, { $0.screen(user: user, nowMs: nowMs, gossiping: gossiping) }) else {
            return .answer(.unknownSale)
        }
        if case .refuse(let refusal) = screening { return .answer(refusal) }
        let order = Order(id: sequence.next(nowMs: nowMs), saleID: saleID, userID: user, idempotencyKey: idempotencyKey)
        withSale(saleID) { $0.hold(order) }
        if idempotencyKey != nil, keys.isFull { reserveKeys() }
        keys.begin(order)
        return .persist(order)
    }

    /// Makes room in the idempotency index for the keys it holds plus one per buyer the sales here can still serve
    /// (`PurchaseBook.room`), once the index is about to grow: the first keyed order sizes it for the sale in one
    /// step, instead of the buyers after it waiting while it doubles and rehashes every key, again and again. Sales
    /// whose buyers send no key cost nothing.
    private mutating func reserveKeys() {
        let room = sales.values.reduce(keys.count) { $0 + $1.book.room }
        keys.reserveCapacity(min(room, PurchaseBook.roomReservedMax))
    }

    /// `order`, admitted by `purchase`, is durable: it counts as sold, and its key now replays it.
    public mutating func persisted(_ order: Order) {
        persisted(CollectionOfOne(order))
    }

    /// `orders`, admitted by `purchase`, are durable, all in one commit: as `persisted(_:)` for each, with each run of
    /// orders of one sale counted into its book at once (the book's ledger sums its rows on every count).
    public mutating func persisted(_ orders: some Collection<Order>) {
        var run: (sale: String, count: Int64)?
        for order in orders {
            let persisted: Void? = withSale(order.saleID) { $0.custody?.persisted(order) }
            precondition(persisted != nil, "invariant: an order persisted belongs to a sale of the machine")
            keys.finish(order)
            if let current = run, current.sale == order.saleID {
                run?.count += 1
            } else {
                if let current = run { withSale(current.sale) { $0.book.committed(count: current.count) } }
                run = (order.saleID, 1)
            }
        }
        if let current = run { withSale(current.sale) { $0.book.committed(count: current.count) } }
    }

    /// `order`, admitted by `purchase`, could not be written: its stock and its key come back.
    public mutating func notPersisted(_ order: Order) {
        let abandoned: Void? = withSale(order.saleID) { sale in
            sale.book.abandoned(order)
            sale.custody?.abandoned(order)
        }
        precondition(abandoned != nil, "invariant: an order abandoned belongs to a sale of the machine")
        keys.abandon(order)
    }

    /// What a known idempotency key answers, before any other check. Nil when there is no key or it is new. An
    /// order of a buyer whose guardian does not hold all their orders yet is not shown (`custodyPending`); a key
    /// another unit of the region used for an order this unit holds a copy of replays that order (a takeover).
    public func replay(sale saleID: String, user: String, idempotencyKey: String?) -> PurchaseOutcome? {
        guard let idempotencyKey else { return nil }
        let custody = sales[saleID]?.custody
        switch keys.lookup(user: user, key: idempotencyKey, sale: saleID) {
        case .new: return copyReplay(sale: saleID, user: user, idempotencyKey: idempotencyKey)
        case .replay(let order): return custody?.isGuarded(user) == false ? .custodyPending : .replayed(order)
        case .inProgress: return .idempotencyInProgress
        case .mismatch: return .idempotencyKeyMismatch
        }
    }

    /// A key this unit never saw, but another unit of the region used for an order this unit holds a copy of: that
    /// order (a takeover), once this unit serves the buyer; a mismatch when the copy is of another sale (a key names
    /// one request, whichever unit took it).
    private func copyReplay(sale saleID: String, user: String, idempotencyKey: String) -> PurchaseOutcome? {
        if let custody = sales[saleID]?.custody, let copy = custody.copy(user: user, idempotencyKey: idempotencyKey) {
            return custody.isGuarded(user) ? .replayed(copy) : .custodyPending
        }
        for (other, sale) in sales where other != saleID && sale.custody?.copy(user: user, idempotencyKey: idempotencyKey) != nil {
            return .idempotencyKeyMismatch
        }
        return nil
    }

    /// What a purchase of `saleID` meets before any buyer filter runs.
    public enum Opening: Sendable, Equatable {
        /// Run the filters with these terms, then `purchase`.
        case filters(SaleTerms)
        /// Answer now.
        case answer(PurchaseOutcome)
    }

    /// The answer for a purchase that needs no buyer at all (recovering, unknown sale, not open, nothing left
    /// anywhere), so filters that cost more (token, captcha) are not paid for a purchase that cannot happen; else the
    /// sale's terms. With an idempotency key (`replayable`) only an unknown sale is answered early: a retry gets its
    /// order back whatever the sale's state. Not when this unit is only dry while stock is held elsewhere: that buyer
    /// goes through the filters to `purchase`, which counts their demand (what makes peers send stock here; a buyer
    /// answered early would never be counted), and only buyers who passed the rate limits and token check count, so
    /// one client cannot pull stock toward itself.
    ///
    /// `mutating` only so that the sale is read where `sales` stores it (`withSale`): it changes nothing. Bound out of
    /// the dictionary, the book would be copied, a retain of each of its parts, on every refusal.
    public mutating func opening(sale saleID: String, replayable: Bool, nowMs: Int64) -> Opening {
        let (recovering, gossiping) = (isRecovering, gossiping)
        guard
            let opening = withSale(saleID, {
                $0.opening(replayable: replayable, recovering: recovering, gossiping: gossiping, nowMs: nowMs)
            })
        else { return .answer(recovering && !replayable ? .recovering : .unknownSale) }
        return opening
    }

    /// Runs `body` on the sale `saleID` where `sales` stores it; nil, running nothing, when the machine has no such sale.
    ///
    /// Every change to a sale goes through here rather than `sales[saleID]?.…`. Changed through Dictionary's subscript
    /// by key, a sale is moved out into an optional and copied back in after, a retain and a release of each of its
    /// parts, and a purchase changes its sale several times: 128 ns a change for a sale of a dozen parts, against 19
    /// through `Dictionary.Values`' subscript by index, which yields the stored sale itself (BENCHMARKS.md, stop 34).
    /// Reading needs no helper: the subscript's getter reads only the part asked for.
    @discardableResult @inline(__always)
    mutating func withSale<Result, Failure: Error>(
        _ saleID: String, _ body: (inout Sale) throws(Failure) -> Result
    ) throws(Failure) -> Result? {
        guard let index = sales.index(forKey: saleID) else { return nil }
        return try body(&sales.values[index])
    }

    // MARK: Orders after the purchase

    /// Orders of `saleID` that were cancelled or expired durably: their stock is for sale again.
    public mutating func released(sale saleID: String, orders: [Order]) {
        guard !orders.isEmpty else { return }
        withSale(saleID) { sale in
            sale.book.released(orders)
            for order in orders { sale.custody?.recorded(order) }
        }
        for order in orders { keys.update(order) }
    }

    /// `order` was paid, durably.
    public mutating func paid(_ order: Order) {
        withSale(order.saleID) { sale in
            sale.book.paid(order)
            sale.custody?.recorded(order)
        }
        keys.update(order)
    }

    // MARK: Rights

    /// Other nodes' rows (and grants witnessed to this unit) the node already wrote durably.
    public mutating func merge(sale saleID: String, others: RightsLedger) {
        let unit = unit
        withSale(saleID) { $0.book.merge(RightsLedger(rows: others.rows.filter { $0.key != unit })) }
        reserveCustody(sale: saleID)
    }

    /// Sets `amount` aside for a grant to `node` (`PurchaseBook.reserveGrant`): the node writes the returned total
    /// durably before anyone can hear of it, then reports `grantPersisted` or `grantAbandoned`. Orders in flight keep
    /// their stock: only what is available can go. A recovering unit does not know yet how much it holds: it gives
    /// nothing.
    public mutating func reserveGrant(sale saleID: String, amount: Int64, to node: NodeID) throws(LedgerError) -> Int64 {
        guard !isRecovering,
            let total = try withSale(saleID, { (sale) throws(LedgerError) in try sale.book.reserveGrant(amount, to: node) })
        else { throw .insufficientRights(node: unit, held: 0, wanted: amount) }
        return total
    }

    /// The grant reserved by `reserveGrant` is durable: it counts as given.
    public mutating func grantPersisted(sale saleID: String, amount: Int64, to node: NodeID) {
        let persisted: Void? = withSale(saleID) { $0.book.grantPersisted(amount, to: node) }
        precondition(persisted != nil, "invariant: a grant persisted belongs to a sale of the machine")
    }

    /// The grant reserved by `reserveGrant` could not be written: its stock is for sale again.
    public mutating func grantAbandoned(sale saleID: String, amount: Int64, to node: NodeID) {
        let abandoned: Void? = withSale(saleID) { $0.book.grantAbandoned(amount, to: node) }
        precondition(abandoned != nil, "invariant: a grant abandoned belongs to a sale of the machine")
    }

    // MARK: Configuration and recovery

    /// Installs or refreshes a sale from durable state: new terms, and ledger knowledge the node already wrote.
    /// `orders` (those holding stock) and `keyed` (those with an idempotency key) are used only when the sale is new
    /// to the machine. While the unit is recovering the book is replaced whole: it has taken no orders, and its own
    /// row is back in the durable ledger.
    public mutating func load(terms: SaleTerms, ledger: RightsLedger, orders: [Order], keyed: [Order] = []) {
        if sales[terms.id] == nil { for order in keyed { keys.finish(order) } }
        if sales[terms.id] != nil, !isRecovering {
            withSale(terms.id) { $0.book.update(terms: terms) }
            // The book already counts its own orders (committed(count:) adds); folding in the durable copy of its
            // own row as well would count them twice, so only the other nodes' rows are merged (which also makes
            // custody's room for them).
            merge(sale: terms.id, others: ledger)
        } else {
            // A recovering unit's books are rebuilt whole; its custody (view, copies) stays.
            sales[terms.id] = Sale(
                book: PurchaseBook(unit: unit, terms: terms, ledger: ledger, holding: orders), meter: DemandMeter(),
                custody: sales[terms.id]?.custody)
            reserveCustody(sale: terms.id)
        }
    }

    /// The config-center's copy of this unit's rows is durable again; `peers` (the other units) still have to be heard.
    public mutating func centerRestored(peers: Set<NodeID>, atMs nowMs: Int64) {
        recovery?.centerRestored(peers: peers, atMs: nowMs)
    }

    /// A genuine gossip message from `node` was absorbed durably, its copy of this unit's rows with it.
    public mutating func heard(from node: NodeID) { recovery?.heard(from: node) }

    /// Whether a recovering unit has heard enough at `nowMs` to rebuild its books from the durable state and sell
    /// (`RecoveryProgress`); the node then loads every sale and applies `.recovered`.
    public func recoveryIsComplete(atMs nowMs: Int64) -> Bool { recovery?.isComplete(atMs: nowMs) ?? false }

    /// The unit's own rows are back in the durable ledger and in the books: it may sell.
    public mutating func finishRecovery() { recovery = nil }

    // MARK: What the machine knows

    public func terms(sale saleID: String) -> SaleTerms? { sales[saleID]?.book.terms }

    /// What buyers see of a sale here: its terms and the stock this unit can still promise.
    public func snapshot(sale saleID: String) -> SaleSnapshot? {
        sales[saleID].map { SaleSnapshot(terms: $0.book.terms, available: $0.book.available) }
    }

    /// How many purchases held for stock of `saleID` (they were answered `.rebalancing`) to decide again at
    /// `nowMs`: as many as there is stock here, or all of them once their answer no longer waits for stock (the sale
    /// is not open, unknown, or sold out everywhere), so a held buyer hears "sold out" or "paused" at once rather
    /// than at the end of the hold.
    public func heldRetries(sale saleID: String, nowMs: Int64) -> Int64 {
        guard let book = sales[saleID]?.book, Self.phaseAnswer(book, nowMs: nowMs) == nil else { return .max }
        if book.available > 0 { return book.available }
        return outOfStock(book) == .rebalancing ? 0 : .max
    }

    /// Every sale's snapshot, by sale id.
    public var snapshots: [SaleSnapshot] {
        sales.values.map { SaleSnapshot(terms: $0.book.terms, available: $0.book.available) }.sorted { $0.terms.id < $1.terms.id }
    }

    /// This unit's soft state for `saleID` at `nowMs`: what it can promise and how fast buyers come.
    public func pulse(sale saleID: String, nowMs: Int64) -> Pulse? {
        sales[saleID].map {
            Pulse(node: unit, available: $0.book.available, demandPerSecond: $0.meter.rate(atMs: nowMs), heartbeatMs: nowMs)
        }
    }

    /// The unit's own durable row per sale (for heartbeats and gossip).
    public var ownRows: [String: LedgerRow] { sales.mapValues { $0.book.ledger.row(unit) } }

    // MARK: Decisions

    /// The answer of a sale that is not open at `nowMs`, or nil when it is.
    static func phaseAnswer(_ book: PurchaseBook, nowMs: Int64) -> PurchaseOutcome? {
        switch book.terms.phase(atMs: nowMs) {
        case .scheduled(let startsInMs): .notStarted(startsAtMs: book.terms.startsAtMs, startsInMs: startsInMs)
        case .ended: .ended
        case .paused: .paused
        case .open: nil
        }
    }

    /// None left here: "try again" while gossip can bring stock from nodes that still hold some, else sold out.
    private func outOfStock(_ book: PurchaseBook) -> PurchaseOutcome {
        Self.outOfStock(book, gossiping: gossiping)
    }

    static func outOfStock(_ book: PurchaseBook, gossiping: Bool) -> PurchaseOutcome {
        gossiping && book.rightsElsewhere > 0 ? .rebalancing : .soldOut
    }
}

extension UnitMachine.Sale {
    /// What `screen` found.
    enum Screening {
        case admit
        case refuse(PurchaseOutcome)
    }

    /// A purchase by `user` at `nowMs`: its demand counted, then why they cannot buy (not open, not theirs to serve
    /// yet, limit reached, none left), or `.admit`. The orders they hold at other units of the region count against
    /// the limit, and their orders here are not shown while the guardian lacks a copy. `mutating` because the demand
    /// is counted, and so that the machine calls it in place in its dictionary.
    mutating func screen(user: String, nowMs: Int64, gossiping: Bool) -> Screening {
        meter.record(buyer: user, atMs: nowMs)
        if let answer = UnitMachine.phaseAnswer(book, nowMs: nowMs) { return .refuse(answer) }
        if let custody, !custody.serves(user) { return .refuse(.custodyPending) }
        switch book.admission(for: user, elsewhere: custody?.copies(of: user) ?? []) {
        case .admit: return .admit
        case .limitReached(let existing):
            return .refuse(custody?.isGuarded(user) == false ? .custodyPending : .alreadyBought(existing: existing))
        case .soldOut: return .refuse(UnitMachine.outOfStock(book, gossiping: gossiping))
        }
    }

    /// `UnitMachine.opening` of this sale. `mutating` only so that it runs in place in the machine's dictionary.
    mutating func opening(replayable: Bool, recovering: Bool, gossiping: Bool, nowMs: Int64) -> UnitMachine.Opening {
        if replayable { return .filters(book.terms) }
        if recovering { return .answer(.recovering) }
        if let answer = UnitMachine.phaseAnswer(book, nowMs: nowMs) { return .answer(answer) }
        if book.available <= 0, case let answer = UnitMachine.outOfStock(book, gossiping: gossiping),
            answer != .rebalancing
        {
            return .answer(answer)
        }
        return .filters(book.terms)
    }

    /// `order`, screened and admitted, holds its stock until it is persisted or not.
    mutating func hold(_ order: Order) {
        let elsewhere = custody?.copies(of: order.userID) ?? []
        book.hold(order, elsewhere: elsewhere)
        custody?.admitted(order)
    }
}
