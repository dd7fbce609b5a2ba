// The purchase hot path: decide in memory under a short lock, append to the log, await the group commit.

import FlashSaleCore
import Foundation
import Synchronization

/// Every sale's purchase book at this unit, and the unit's order-id sequence.
///
/// A purchase takes the lock twice at most, never across an await: once to answer cheaply (not open, sold out,
/// already bought), and once to admit, reserve stock, take the next order id and queue the order for the
/// group-commit writer, so the writer's queue is always in id order. After the commit it takes the lock once
/// more to move the order from in flight to the ledger.
public final class PurchaseDesk: Sendable {
    struct State {
        /// Per sale: the purchase book and the demand meter, together so a purchase looks the sale up once.
        var sales: [String: SaleEntry] = [:]
        var sequence: OrderIDSequence
        /// Idempotency keys of every sale at this unit (a key names one request of one user, whatever the sale).
        var keys = IdempotencyIndex()
    }

    /// When units gossip, a unit out of stock while others hold some says "try again" (503), not "sold out".
    let gossiping: Bool
    /// Set while a unit that started on a new database waits for its own row from the other nodes.
    private let recovering: Atomic<Bool>

    public let unit: NodeID
    private let state: Mutex<State>
    private let writer: GroupCommitWriter
    private let nowMs: @Sendable () -> Int64

    init(
        unit: NodeID, lastOrderID: OrderID?, writer: GroupCommitWriter, gossiping: Bool = false,
        recovering: Bool = false, nowMs: @escaping @Sendable () -> Int64
    ) {
        self.unit = unit
        self.gossiping = gossiping
        self.recovering = Atomic(recovering)
        self.writer = writer
        self.nowMs = nowMs
        self.state = Mutex(State(sequence: OrderIDSequence(unit: unit, resumingAfter: lastOrderID)))
    }

    /// One purchase of one unit of `saleID` by `user` (a valid user id), with the buyer's idempotency key if any.
    public func purchase(sale saleID: String, user: String, idempotencyKey: String? = nil) async -> PurchaseOutcome {
        if recovering.load(ordering: .acquiring) { return .recovering }
        let now = nowMs()
        let gossiping = gossiping
        let first = state.withLock { state -> PurchaseOutcome? in
            if let replay = Self.keyAnswer(sale: saleID, user: user, key: idempotencyKey, state) { return replay }
            state.sales[saleID]?.meter.record(buyer: user, atMs: now)
            return Self.cheapAnswer(sale: saleID, user: user, nowMs: now, gossiping: gossiping, state)
        }
        if let first { return first }
        var admitted: Order?
        let outcome = await withCheckedContinuation { (continuation: CheckedContinuation<PurchaseOutcome, Never>) in
            let answer = state.withLock { state -> PurchaseOutcome? in
                if let answer = Self.keyAnswer(sale: saleID, user: user, key: idempotencyKey, state)
                    ?? Self.cheapAnswer(sale: saleID, user: user, nowMs: now, gossiping: gossiping, state)
                {
                    return answer
                }
                let order = Order(
                    id: state.sequence.next(nowMs: now), saleID: saleID, userID: user, idempotencyKey: idempotencyKey)
                state.sales[saleID]?.book.hold(order)
                state.keys.begin(order)
                writer.enqueue(order, continuation: continuation)
                admitted = order
                return nil
            }
            if let answer { continuation.resume(returning: answer) }
        }
        switch outcome {
        case .created(let order):
            state.withLock { state in
                state.sales[saleID]?.book.committed(count: 1)
                state.keys.finish(order)
            }
        case .notPersisted:
            if let admitted {
                state.withLock { state in
                    state.sales[saleID]?.book.abandoned(admitted)
                    state.keys.abandon(admitted)
                }
            }
        default:
            break
        }
        return outcome
    }

    /// What a known idempotency key answers, before any other check: a retry gets its order back even after the
    /// sale ended or sold out. Nil when there is no key or it is new.
    public func replay(sale saleID: String, user: String, idempotencyKey: String?) -> PurchaseOutcome? {
        state.withLock { Self.keyAnswer(sale: saleID, user: user, key: idempotencyKey, $0) }
    }

    private static func keyAnswer(sale saleID: String, user: String, key: String?, _ state: State) -> PurchaseOutcome? {
        guard let key else { return nil }
        switch state.keys.lookup(user: user, key: key, sale: saleID) {
        case .new: return nil
        case .replay(let order): return .replayed(order)
        case .inProgress: return .idempotencyInProgress
        case .mismatch: return .idempotencyKeyMismatch
        }
    }

    /// The answer for a sale that needs no buyer at all (unknown, not open, nothing left anywhere), so filters
    /// that cost more (token, captcha) are not paid for a purchase that cannot happen. Not when this unit is only
    /// dry while stock is held elsewhere: that buyer goes through the filters to `purchase`, which counts their
    /// demand (what makes peers send stock here; a buyer answered early would never be counted), and only buyers
    /// who passed the rate limits and token check count, so one client cannot pull stock toward itself.
    public func saleAnswer(sale saleID: String) -> PurchaseOutcome? {
        if recovering.load(ordering: .acquiring) { return .recovering }
        let now = nowMs()
        let gossiping = gossiping
        return state.withLock { state -> PurchaseOutcome? in
            guard let book = state.sales[saleID]?.book else { return .unknownSale }
            if let answer = Self.phaseAnswer(book, nowMs: now) { return answer }
            guard book.available <= 0 else { return nil }
            let answer = Self.outOfStock(book, gossiping: gossiping)
            return answer == .rebalancing ? nil : answer
        }
    }

    /// Orders of `saleID` that were cancelled or expired in SQLite: their stock is for sale again.
    func released(sale saleID: String, orders: [Order]) {
        guard !orders.isEmpty else { return }
        state.withLock { state in
            state.sales[saleID]?.book.released(orders)
            for order in orders { state.keys.update(order) }
        }
    }

    /// `order` was paid in SQLite.
    func paid(_ order: Order) {
        state.withLock { state in
            state.sales[order.saleID]?.book.paid(order)
            state.keys.update(order)
        }
    }

    /// The terms of `saleID`, for the filters in front of the desk.
    public func terms(sale saleID: String) -> SaleTerms? {
        state.withLock { $0.sales[saleID]?.book.terms }
    }

    // MARK: State outside the hot path

    /// What buyers see of a sale here: its terms and the stock this unit can still promise.
    public func snapshot(sale saleID: String) -> SaleSnapshot? {
        state.withLock { state in state.sales[saleID].map { SaleSnapshot(terms: $0.book.terms, available: $0.book.available) } }
    }

    public func snapshots() -> [SaleSnapshot] {
        state.withLock { state in
            state.sales.values.map { SaleSnapshot(terms: $0.book.terms, available: $0.book.available) }
                .sorted { $0.terms.id < $1.terms.id }
        }
    }

    /// Rights this unit holds per sale (sold stock excluded, orders in flight included), for the metrics.
    func rightsHeld() -> [String: Int64] {
        let unit = unit
        return state.withLock { state in state.sales.mapValues { $0.book.ledger.rights(of: unit) } }
    }

    /// All that any node has ever granted this unit for `saleID`, as far as the desk knows: gossip that raises it
    /// brought stock.
    func received(sale saleID: String) -> Int64 {
        let unit = unit
        return state.withLock { $0.sales[saleID]?.book.ledger.received(by: unit) ?? 0 }
    }

    /// The row of `owner` for `saleID` as the desk knows it (this unit's own included), or nil.
    func knownRow(sale saleID: String, owner: NodeID) -> LedgerRow? {
        state.withLock { $0.sales[saleID]?.book.ledger.rows[owner] }
    }

    /// The unit's own durable ledger row per sale, for heartbeats (and later gossip).
    public func ownRows() -> [String: LedgerRow] {
        state.withLock { state in state.sales.mapValues { $0.book.ledger.row(unit) } }
    }

    // MARK: Gossip

    /// This unit's soft state for `saleID`: what it can promise and how fast buyers come.
    func pulse(sale saleID: String, nowMs: Int64) -> Pulse? {
        state.withLock { state in
            guard let entry = state.sales[saleID] else { return nil }
            let book = entry.book
            let demand = entry.meter.rate(atMs: nowMs)
            return Pulse(node: unit, available: book.available, demandPerSecond: demand, heartbeatMs: nowMs)
        }
    }

    /// Folds in other nodes' rows already written to SQLite.
    func merge(sale saleID: String, others: RightsLedger) {
        state.withLock { state in
            state.sales[saleID]?.book.merge(RightsLedger(rows: others.rows.filter { $0.key != unit }))
        }
    }

    /// Takes `amount` out of what this unit can sell, for a grant to `node` that the caller writes to SQLite next.
    /// Orders in flight keep their stock: only what is available can go.
    func reserveGrant(sale saleID: String, amount: Int64, to node: NodeID) throws {
        try state.withLock { state in try state.sales[saleID]?.book.grant(amount, to: node) }
    }

    /// The terms of every sale this unit knows.
    func saleTerms() -> [SaleTerms] { state.withLock { $0.sales.values.map(\.book.terms) } }

    var isRecovering: Bool { recovering.load(ordering: .acquiring) }

    /// The unit's own rows are back in SQLite and in the books: it may sell.
    func finishRecovery() { recovering.store(false, ordering: .releasing) }

    /// Sales this unit has a book for.
    func knows(sale saleID: String) -> Bool { state.withLock { $0.sales[saleID] != nil } }

    /// Installs or refreshes a sale from durable state: new terms, and ledger knowledge already in SQLite.
    /// `orders` (the orders holding stock) are used only when the sale is new to this desk. While the unit is
    /// recovering the book is replaced whole: it has taken no orders, and SQLite now holds its own row back.
    func load(terms: SaleTerms, ledger: RightsLedger, orders: [Order], keyed: [Order] = []) {
        let replace = isRecovering
        state.withLock { state in
            if state.sales[terms.id] == nil { for order in keyed { state.keys.finish(order) } }
            if state.sales[terms.id] != nil, !replace {
                state.sales[terms.id]?.book.update(terms: terms)
                // The book already counts its own orders (committed(count:) adds); folding in the database's copy
                // of its own row as well would count them twice, so only the other nodes' rows are merged.
                state.sales[terms.id]?.book.merge(RightsLedger(rows: ledger.rows.filter { $0.key != unit }))
            } else {
                state.sales[terms.id] = SaleEntry(
                    book: PurchaseBook(unit: unit, terms: terms, ledger: ledger, holding: orders), meter: DemandMeter())
            }
        }
    }


    /// The answer that needs no write, or nil when the purchase is admitted.
    private static func cheapAnswer(
        sale saleID: String, user: String, nowMs: Int64, gossiping: Bool, _ state: State
    ) -> PurchaseOutcome? {
        guard let book = state.sales[saleID]?.book else { return .unknownSale }
        if let answer = phaseAnswer(book, nowMs: nowMs) { return answer }
        switch book.admission(for: user) {
        case .admit: return nil
        case .limitReached(let existing): return .alreadyBought(existing: existing)
        case .soldOut: return outOfStock(book, gossiping: gossiping)
        }
    }

    /// The answer of a sale that is not open at `nowMs`, or nil when it is.
    private static func phaseAnswer(_ book: PurchaseBook, nowMs: Int64) -> PurchaseOutcome? {
        switch book.terms.phase(atMs: nowMs) {
        case .scheduled(let startsInMs): .notStarted(startsAtMs: book.terms.startsAtMs, startsInMs: startsInMs)
        case .ended: .ended
        case .paused: .paused
        case .open: nil
        }
    }

    /// None left here: "try again" while gossip can bring stock from nodes that still hold some, else sold out.
    private static func outOfStock(_ book: PurchaseBook, gossiping: Bool) -> PurchaseOutcome {
        gossiping && book.rightsElsewhere > 0 ? .rebalancing : .soldOut
    }
}

/// One sale at the desk.
struct SaleEntry {
    var book: PurchaseBook
    var meter: DemandMeter
}
