// The unit's machine behind one lock: what the routes, the writer and the services feed events into.

import FlashSaleAPI
import FlashSaleCore
import Foundation

/// The node's shell around `UnitMachine` for the routes and services: decisions under the machine's one lock, never
/// held across an await; admitted orders go to the group-commit writer, which tells the machine after each commit
/// what became durable (`LockedMachine.apply`).
///
/// A purchase takes the lock once to decide (known key, demand, phase, limit, stock; an admitted order gets the next
/// id and is queued for the writer under the same lock, so the writer's queue is always in id order); the writer
/// counts it as sold after the commit, for the whole batch under one lock, and only then is the buyer answered.
public final class PurchaseDesk: Sendable {
    public let unit: NodeID
    private let machine: LockedMachine
    private let writer: GroupCommitWriter
    private let nowMs: @Sendable () -> Int64

    init(machine: LockedMachine, writer: GroupCommitWriter, nowMs: @escaping @Sendable () -> Int64) {
        self.unit = machine.withLock { $0.unit }
        self.machine = machine
        self.writer = writer
        self.nowMs = nowMs
    }

    /// One purchase of one unit of `saleID` by `user` (a valid user id), with the buyer's idempotency key if any:
    /// answered at once, or after the order's commit.
    public func purchase(sale saleID: String, user: String, idempotencyKey: String? = nil) async -> PurchaseOutcome {
        await withCheckedContinuation { (continuation: CheckedContinuation<PurchaseOutcome, Never>) in
            if let answer = purchase(sale: saleID, user: user, idempotencyKey: idempotencyKey, then: { continuation.resume(returning: $0) }) {
                continuation.resume(returning: answer)
            }
        }
    }

    /// The same purchase without suspending, for the purchase handler on the event loop: the answer now, or nil
    /// when the order was queued for the writer, which calls `then` after its commit (on the writer's thread).
    func purchase(
        sale saleID: String, user: String, idempotencyKey: String?,
        then: @escaping GroupCommitWriter.OrderCompletion
    ) -> PurchaseOutcome? {
        let now = nowMs()
        return machine.withLock { machine -> PurchaseOutcome? in
            switch machine.purchase(sale: saleID, user: user, idempotencyKey: idempotencyKey, nowMs: now) {
            case .answer(let answer):
                return answer
            case .persist(let order):
                if writer.enqueue(order, completion: then) { return nil }
                // The writer has closed: the unit is shutting down.
                machine.notPersisted(order)
                return .notPersisted
            }
        }
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

    /// The terms of `saleID`, for the filters in front of the desk.
    public func terms(sale saleID: String) -> SaleTerms? { machine.withLock { $0.terms(sale: saleID) } }

    // MARK: State outside the hot path

    /// What buyers see of a sale here: its terms and the stock this unit can still promise.
    public func snapshot(sale saleID: String) -> SaleSnapshot? { machine.withLock { $0.snapshot(sale: saleID) } }

    public func snapshots() -> [SaleSnapshot] { machine.withLock { $0.snapshots } }

    /// How many held purchases of `saleID` to decide again now (`UnitMachine.heldRetries`).
    func heldRetries(sale saleID: String) -> Int64 {
        let now = nowMs()
        return machine.withLock { $0.heldRetries(sale: saleID, nowMs: now) }
    }

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

    /// The owners of each sale whose custody the machine keeps (`UnitRecords.custodyEvents` reads no copies for them).
    func custodyOwners() -> [String: [NodeID]] {
        machine.withLock { machine in machine.sales.compactMapValues { $0.custody?.view.owners } }
    }

    /// A retry's order that waits for its buyer's guardian (`UnitMachine.unguardedReplay`).
    func unguardedReplay(sale saleID: String, user: String, idempotencyKey key: String) -> Order? {
        machine.withLock { $0.unguardedReplay(sale: saleID, user: user, idempotencyKey: key) }
    }

    /// Whether `order`, held here, may be shown to its buyer or paid (`Custody.mayShow`): not while its buyer's
    /// guardian lacks a copy, nor at a retired unit before the new owner said it holds one.
    func mayShow(_ order: Order) -> Bool { machine.withLock { $0.mayShow(order) } }

    /// Per sale with custody, what the config-center needs to retire a unit (`RetirementRule`).
    func custodyStatus() -> [String: CustodyStatus] {
        machine.withLock { $0.custodyStatus }.mapValues {
            CustodyStatus(view: $0.view, owed: $0.owed.sorted(), copiesLost: $0.copiesLost ? true : nil)
        }
    }

    /// The unit's own durable ledger row per sale, for heartbeats (and later gossip).
    public func ownRows() -> [String: LedgerRow] { machine.withLock { $0.ownRows } }

    // MARK: Gossip

    /// This unit's soft state for `saleID`: what it can promise and how fast buyers come.
    func pulse(sale saleID: String, nowMs: Int64) -> Pulse? { machine.withLock { $0.pulse(sale: saleID, nowMs: nowMs) } }

    /// What rebalancing weighs for `saleID` at `nowMs`, under one lock: this unit's pulse, the rights others hold as
    /// far as it knows (`PurchaseBook.rightsElsewhere`), its allocation (what the config-center granted it, for the
    /// policy's floor) and all that any node granted it (for `PullRule`'s fruitless asks). Nil for an unknown sale and
    /// while recovering: a unit that does not know what it holds neither gives nor asks.
    func balance(sale saleID: String, nowMs: Int64) -> (pulse: Pulse, rightsElsewhere: Int64, allocation: Int64, received: Int64)? {
        let unit = unit
        return machine.withLock { machine in
            guard !machine.isRecovering, let book = machine.sales[saleID]?.book, let pulse = machine.pulse(sale: saleID, nowMs: nowMs)
            else { return nil }
            return (pulse, book.rightsElsewhere, book.ledger.row(.center).grantedTo[unit] ?? 0, book.ledger.received(by: unit))
        }
    }

    /// Sets `amount` aside for a grant to `node`; returns the total given to `node` once the caller has written it.
    func reserveGrant(sale saleID: String, amount: Int64, to node: NodeID) throws -> Int64 {
        try machine.withLock { machine throws(LedgerError) in try machine.reserveGrant(sale: saleID, amount: amount, to: node) }
    }

    /// The terms of every sale this unit knows.
    func saleTerms() -> [SaleTerms] { machine.withLock { $0.sales.values.map(\.book.terms) } }

    /// Sales this unit has a book for.
    func knownSales() -> Set<String> { machine.withLock { Set($0.sales.keys) } }

    // MARK: Recovery

    var isRecovering: Bool { machine.withLock { $0.isRecovering } }

    /// Whether a recovering unit has heard enough to rebuild its books and sell; the peers still silent.
    func recoveryState() -> (complete: Bool, silent: Set<NodeID>) {
        let now = nowMs()
        return machine.withLock { ($0.recoveryIsComplete(atMs: now), $0.recovery?.silentPeers ?? []) }
    }
}
