// The unit's machine behind one lock: what the routes, the writer and the services feed events into.

import FlashSaleCore
import Foundation
import Synchronization

/// The node's shell around `UnitMachine`: one lock, never held across an await, and the group-commit writer.
///
/// A purchase takes the lock once to decide (known key, demand, phase, limit, stock; an admitted order gets the next
/// id and is queued for the writer under the same lock, so the writer's queue is always in id order) and once more
/// when the commit reports back. Everything else the node learns or does (rows, grants, payments, expiries, a new
/// configuration) is one event into the machine.
public final class PurchaseDesk: Sendable {
    public let unit: NodeID
    private let machine: Mutex<UnitMachine>
    private let writer: GroupCommitWriter
    private let nowMs: @Sendable () -> Int64

    init(
        unit: NodeID, lastOrderID: OrderID?, writer: GroupCommitWriter, gossiping: Bool = false,
        recovering: Bool = false, nowMs: @escaping @Sendable () -> Int64
    ) {
        self.unit = unit
        self.writer = writer
        self.nowMs = nowMs
        self.machine = Mutex(UnitMachine(unit: unit, lastOrderID: lastOrderID, gossiping: gossiping, recovering: recovering))
    }

    /// One purchase of one unit of `saleID` by `user` (a valid user id), with the buyer's idempotency key if any:
    /// answered at once, or after the order's commit.
    public func purchase(sale saleID: String, user: String, idempotencyKey: String? = nil) async -> PurchaseOutcome {
        let now = nowMs()
        var admitted: Order?
        let outcome = await withCheckedContinuation { (continuation: CheckedContinuation<PurchaseOutcome, Never>) in
            let answer = machine.withLock { machine -> PurchaseOutcome? in
                switch machine.purchase(sale: saleID, user: user, idempotencyKey: idempotencyKey, nowMs: now) {
                case .answer(let answer):
                    return answer
                case .persist(let order):
                    writer.enqueue(order, continuation: continuation)
                    admitted = order
                    return nil
                }
            }
            if let answer { continuation.resume(returning: answer) }
        }
        if let admitted {
            machine.withLock { machine in
                if case .created = outcome { machine.persisted(admitted) } else { machine.notPersisted(admitted) }
            }
        }
        return outcome
    }

    /// What a purchase of `saleID` meets before the buyer filters (`UnitMachine.opening`).
    public func opening(sale saleID: String, replayable: Bool) -> UnitMachine.Opening {
        let now = nowMs()
        return machine.withLock { $0.opening(sale: saleID, replayable: replayable, nowMs: now) }
    }

    /// What a known idempotency key answers, before the rate limits: a retry is not a new attempt.
    public func replay(sale saleID: String, user: String, idempotencyKey: String?) -> PurchaseOutcome? {
        machine.withLock { $0.replay(sale: saleID, user: user, idempotencyKey: idempotencyKey) }
    }

    /// Orders of `saleID` that were cancelled or expired in SQLite: their stock is for sale again.
    func released(sale saleID: String, orders: [Order]) {
        guard !orders.isEmpty else { return }
        machine.withLock { $0.released(sale: saleID, orders: orders) }
    }

    /// `order` was paid in SQLite.
    func paid(_ order: Order) { machine.withLock { $0.paid(order) } }

    /// The terms of `saleID`, for the filters in front of the desk.
    public func terms(sale saleID: String) -> SaleTerms? { machine.withLock { $0.terms(sale: saleID) } }

    // MARK: State outside the hot path

    /// What buyers see of a sale here: its terms and the stock this unit can still promise.
    public func snapshot(sale saleID: String) -> SaleSnapshot? { machine.withLock { $0.snapshot(sale: saleID) } }

    public func snapshots() -> [SaleSnapshot] { machine.withLock { $0.snapshots } }

    /// Rights this unit holds per sale (sold stock excluded, orders in flight included), for the metrics.
    func rightsHeld() -> [String: Int64] {
        let unit = unit
        return machine.withLock { $0.sales.mapValues { $0.book.ledger.rights(of: unit) } }
    }

    /// All that any node has ever granted this unit for `saleID`, as far as the desk knows: gossip that raises it
    /// brought stock.
    func received(sale saleID: String) -> Int64 {
        let unit = unit
        return machine.withLock { $0.sales[saleID]?.book.ledger.received(by: unit) ?? 0 }
    }

    /// The row of `owner` for `saleID` as the desk knows it (this unit's own included), or nil.
    func knownRow(sale saleID: String, owner: NodeID) -> LedgerRow? {
        machine.withLock { $0.sales[saleID]?.book.ledger.rows[owner] }
    }

    /// The unit's own durable ledger row per sale, for heartbeats (and later gossip).
    public func ownRows() -> [String: LedgerRow] { machine.withLock { $0.ownRows } }

    // MARK: Gossip

    /// This unit's soft state for `saleID`: what it can promise and how fast buyers come.
    func pulse(sale saleID: String, nowMs: Int64) -> Pulse? { machine.withLock { $0.pulse(sale: saleID, nowMs: nowMs) } }

    /// Folds in other nodes' rows already written to SQLite.
    func merge(sale saleID: String, others: RightsLedger) { machine.withLock { $0.merge(sale: saleID, others: others) } }

    /// Sets `amount` aside for a grant to `node`; returns the total given to `node` once the caller has written it.
    func reserveGrant(sale saleID: String, amount: Int64, to node: NodeID) throws -> Int64 {
        try machine.withLock { machine throws(LedgerError) in try machine.reserveGrant(sale: saleID, amount: amount, to: node) }
    }

    /// The grant set aside by `reserveGrant` is in SQLite.
    func grantPersisted(sale saleID: String, amount: Int64, to node: NodeID) {
        machine.withLock { $0.grantPersisted(sale: saleID, amount: amount, to: node) }
    }

    /// The grant set aside by `reserveGrant` could not be written.
    func grantAbandoned(sale saleID: String, amount: Int64, to node: NodeID) {
        machine.withLock { $0.grantAbandoned(sale: saleID, amount: amount, to: node) }
    }

    /// The terms of every sale this unit knows.
    func saleTerms() -> [SaleTerms] { machine.withLock { $0.sales.values.map(\.book.terms) } }

    var isRecovering: Bool { machine.withLock { $0.isRecovering } }

    /// The unit's own rows are back in SQLite and in the books: it may sell.
    func finishRecovery() { machine.withLock { $0.finishRecovery() } }

    /// Sales this unit has a book for.
    func knows(sale saleID: String) -> Bool { machine.withLock { $0.sales[saleID] != nil } }

    /// Installs or refreshes a sale from durable state (`UnitMachine.load`).
    func load(terms: SaleTerms, ledger: RightsLedger, orders: [Order], keyed: [Order] = []) {
        machine.withLock { $0.load(terms: terms, ledger: ledger, orders: orders, keyed: keyed) }
    }
}
