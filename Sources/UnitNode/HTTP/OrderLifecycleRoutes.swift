// `POST /v1/orders/{order}/pay` and `/cancel`: the buyer settles or gives back a reserved order.

import FlashSaleAPI
import FlashSaleCore
import Foundation
import GRDB
import Hummingbird
import Metrics

/// Only the order's buyer may pay or cancel it, identified as for a purchase (token, or `?user=` in an open sale).
/// The status moves in SQLite first; only then does a cancelled (or, past its window, expired) order's stock go
/// back on sale at the desk.
enum OrderLifecycleRoutes {
    static func add(
        to router: Router<WireRequestContext>, desk: PurchaseDesk, gate: BuyerGate, pool: DatabasePool,
        metrics: UnitMetrics, nowMs: @escaping @Sendable () -> Int64
    ) {
        router.post("/v1/orders/{order}/pay") { request, context in
            let (id, terms) = try await owned(request, context, desk: desk, gate: gate, pool: pool, nowMs: nowMs)
            let now = nowMs()
            let change = try await pool.write { db in try UnitRecords.pay(id, terms: terms, nowMs: now, db) }
            switch change {
            case .done(let order, true):
                desk.paid(order)
                metrics.ordersPaid.increment()
            case .expiredNow(let order):
                desk.released(sale: order.saleID, orders: [order])
                metrics.ordersExpired.increment()
            default: break
            }
            return try answer(change, terms: terms)
        }
        router.post("/v1/orders/{order}/cancel") { request, context in
            let (id, terms) = try await owned(request, context, desk: desk, gate: gate, pool: pool, nowMs: nowMs)
            let now = nowMs()
            let change = try await pool.write { db in try UnitRecords.cancel(id, terms: terms, nowMs: now, db) }
            switch change {
            case .done(let order, true):
                desk.released(sale: order.saleID, orders: [order])
                metrics.ordersCancelled.increment()
            case .expiredNow(let order):
                desk.released(sale: order.saleID, orders: [order])
                metrics.ordersExpired.increment()
            default: break
            }
            return try answer(change, terms: terms)
        }
    }

    /// The order named in the path and its sale's terms, once the caller is shown to be its buyer.
    private static func owned(
        _ request: Request, _ context: WireRequestContext, desk: PurchaseDesk, gate: BuyerGate, pool: DatabasePool,
        nowMs: @Sendable () -> Int64
    ) async throws -> (OrderID, SaleTerms) {
        let text = context.parameters.get("order") ?? ""
        guard let id = OrderID(text) else { throw Problem(.invalidInput, "'\(text)' is not an order id (<unit>-<ms>-<seq>)") }
        guard id.unit == desk.unit, let order = try await pool.read({ db in try UnitRecords.order(id, db) }) else {
            throw Problem(.unknownOrder, "no order \(id) at this unit")
        }
        guard let terms = desk.terms(sale: order.saleID) else { throw Problem(.unknownSale, "no sale '\(order.saleID)' at this unit") }
        let caller = PurchaseRequest(
            sale: order.saleID, namedUser: request.uri.queryParameters.get("user").map { String($0) },
            token: UnitRoutes.bearerToken(request.headers[.authorization]), captcha: nil, idempotencyKey: nil,
            clientAddress: context.remoteAddress?.ipAddress ?? "unknown")
        switch await gate.identify(caller, rules: terms.rules, nowMs: nowMs()) {
        case .failure(let problem): throw problem
        case .success(let identity):
            guard identity.user == order.userID else { throw Problem(.notOrderOwner, "only its buyer may pay or cancel this order") }
        }
        return (id, terms)
    }

    private static func answer(_ change: OrderChange, terms: SaleTerms) throws -> Response {
        switch change {
        case .done(let order, _):
            return try WireResponse.json(OrderView(order, terms: terms))
        case .unknown:
            throw Problem(.unknownOrder, "no such order")
        case .refused(let order), .expiredNow(let order):
            switch order.status {
            case .paid: throw Problem(.orderPaid, "a paid order cannot be cancelled here", order: OrderView(order, terms: terms))
            case .cancelled: throw Problem(.orderCancelled, "the order was cancelled; its stock went back on sale", order: OrderView(order, terms: terms))
            case .expired, .reserved:
                throw Problem(.orderExpired, "the payment window closed; the stock went back on sale", order: OrderView(order, terms: terms))
            }
        }
    }
}
