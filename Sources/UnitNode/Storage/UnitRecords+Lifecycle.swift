// Orders after the purchase: paid within the sale's window, or cancelled or expired, returning their stock.

import FlashSaleCore
import GRDB

/// What became of a request to change an order's status.
enum OrderChange: Sendable, Equatable {
    /// The order moved (or was already where it was asked to go: a retried pay or cancel).
    case done(Order, changed: Bool)
    case unknown
    /// It cannot move there: its current status says why.
    case refused(Order)
    /// Its payment window had closed and the sweep had not reached it yet: this request expired it, as the sweep
    /// would have, and its stock must go back on sale.
    case expiredNow(Order)

    /// What the machine learns once the change is durable: a payment, or stock back on sale.
    var events: [UnitMachine.Event] {
        switch self {
        case .done(let order, true) where order.status == .paid: [.paid(order)]
        case .done(let order, true), .expiredNow(let order): [.released(sale: order.saleID, orders: [order])]
        case .done, .unknown, .refused: []
        }
    }
}

extension UnitRecords {
    /// Pays `id` if it is reserved and its payment window is still open at `nowMs`. The status change is one
    /// conditional UPDATE, so a payment and the expiry sweep can never both win.
    static func pay(_ id: OrderID, terms: SaleTerms, nowMs: Int64, _ db: Database) throws -> OrderChange {
        guard let order = try order(id, db) else { return .unknown }
        switch order.status {
        case .paid: return .done(order, changed: false)
        case .cancelled, .expired: return .refused(order)
        case .reserved:
            if let expired = try expireIfDue(order, terms: terms, nowMs: nowMs, db) { return .expiredNow(expired) }
            return .done(try move(order, to: .paid, db), changed: true)
        }
    }

    /// Cancels `id` if it is reserved and its window is still open at `nowMs` (past it the order has expired,
    /// whether or not the sweep has run); its stock returns to the unit (the counters' trigger adds it to `released`).
    static func cancel(_ id: OrderID, terms: SaleTerms, nowMs: Int64, _ db: Database) throws -> OrderChange {
        guard let order = try order(id, db) else { return .unknown }
        switch order.status {
        case .cancelled: return .done(order, changed: false)
        case .paid, .expired: return .refused(order)
        case .reserved:
            if let expired = try expireIfDue(order, terms: terms, nowMs: nowMs, db) { return .expiredNow(expired) }
            return .done(try move(order, to: .cancelled, db), changed: true)
        }
    }

    /// Expires the reserved `order` when its window closed by `nowMs`, as the sweep does; nil while it is open.
    private static func expireIfDue(_ order: Order, terms: SaleTerms, nowMs: Int64, _ db: Database) throws -> Order? {
        guard nowMs >= terms.paymentDeadlineMs(forOrderAt: order.createdAtMs) else { return nil }
        return try move(order, to: .expired, db)
    }

    /// Expires up to `limit` reserved orders of `terms`' sale whose payment window closed by `nowMs`, and returns
    /// them. Paid orders are never touched.
    static func expire(_ terms: SaleTerms, nowMs: Int64, limit: Int, _ db: Database) throws -> [Order] {
        let window = terms.paymentWindowMs ?? SaleTerms.paymentWindowMsDefault
        let (cutoff, overflow) = nowMs.subtractingReportingOverflow(window)
        guard !overflow else { return [] }
        let due = try OrderRecord.fetchAll(
            db,
            sql: """
                SELECT \(OrderRecord.columns) FROM orders
                WHERE sale_id = ? AND status = 'reserved' AND stream_ms <= ? ORDER BY stream_ms, stream_seq LIMIT ?
                """,
            arguments: [terms.id, cutoff, limit])
        return try due.map { try move($0.order, to: .expired, db) }
    }

    /// Moves the reserved `order` to `status` with one conditional UPDATE (found by position, `OrderRecord.whereID`;
    /// the schema's triggers refuse any other move and count a release) and returns it as it now is.
    private static func move(_ order: Order, to status: OrderStatus, _ db: Database) throws -> Order {
        let statement = try db.cachedStatement(
            sql: "UPDATE orders SET status = ? WHERE \(OrderRecord.whereID) AND status = 'reserved'")
        try statement.execute(arguments: [status.rawValue] + OrderRecord.arguments(order.id))
        var moved = order
        moved.status = status
        return moved
    }
}
