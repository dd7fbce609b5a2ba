// One order: its buyer looks it up or cancels it (`GET /v1/orders/{order}`, `POST .../cancel`); the payment provider
// pays it (`POST .../pay`).

import FlashSaleAPI
import FlashSaleCore
import Foundation
import Hummingbird
import Metrics

/// An order is paid only by the payment provider's signed callback; it is looked up and cancelled only by its buyer
/// (the buyer token of its user, or the order's secret), and looked up by fulfilment consumers too (the orders
/// credential), see `OrderAccess`. The status moves in SQLite first, through the group-commit writer; only after the
/// commit does a cancelled (or, past its window, expired) order's stock go back on sale in the machine.
enum OrderLifecycleRoutes {
    static func add(
        to router: Router<WireRequestContext>, desk: PurchaseDesk, gate: BuyerGate, store: UnitStore,
        writer: GroupCommitWriter, metrics: UnitMetrics, access: OrderAccess, nowMs: @escaping @Sendable () -> Int64
    ) {
        router.get("/v1/orders/{order}") { request, context in
            let id = try orderID(context, unit: desk.unit)
            guard let order = try await store.order(id) else {
                throw Problem(.unknownOrder, "no order \(id)")
            }
            let terms = desk.terms(sale: order.saleID)
            if !access.isConsumer(request) {
                if !access.hasOrderSecret(request, for: id.description) {
                    try await requireBuyer(order, of: request, context, terms: terms, gate: gate, nowMs: nowMs)
                }
                guard desk.mayShow(order) else { throw PurchaseAnswers.custodyPendingProblem }
            }
            return try WireResponse.json(UnitRoutes.view(order, terms: terms))
        }
        router.post("/v1/orders/{order}/pay") { request, context in
            let body = try await request.body.collect(upTo: context.maxUploadSize)
            try access.requirePaymentProvider(request, path: request.uri.path, body: body.readableBytesView, nowMs: nowMs())
            let (id, order, terms) = try await existing(context, desk: desk, store: store)
            // An order its buyer cannot have been told of yet (its copy is not at their guardian) is not paid now.
            guard desk.mayShow(order) else { throw PurchaseAnswers.custodyPendingProblem }
            let now = nowMs()
            let change = try await writer.perform { db in
                let change = try UnitRecords.pay(id, terms: terms, nowMs: now, db)
                return (change, change.events)
            }
            switch change {
            case .done(_, true): metrics.ordersPaid.increment()
            case .expiredNow: metrics.ordersExpired.increment()
            default: break
            }
            return try answer(change, terms: terms)
        }
        router.post("/v1/orders/{order}/cancel") { request, context in
            let (id, order, terms) = try await existing(context, desk: desk, store: store)
            if !access.hasOrderSecret(request, for: id.description) {
                try await requireBuyer(order, of: request, context, terms: terms, gate: gate, nowMs: nowMs)
            }
            let now = nowMs()
            let change = try await writer.perform { db in
                let change = try UnitRecords.cancel(id, terms: terms, nowMs: now, db)
                return (change, change.events)
            }
            switch change {
            case .done(_, true): metrics.ordersCancelled.increment()
            case .expiredNow: metrics.ordersExpired.increment()
            default: break
            }
            return try answer(change, terms: terms)
        }
    }

    /// The order id in the path, of an order of this unit.
    private static func orderID(_ context: WireRequestContext, unit: NodeID) throws -> OrderID {
        let text = context.parameters.get("order") ?? ""
        guard let id = OrderID(text) else { throw Problem(.invalidInput, "'\(text)' is not an order id (<unit>-<ms>-<seq>)") }
        guard id.unit == unit else { throw Problem(.unknownOrder, "order \(id) was taken by unit '\(id.unit)'; ask that unit") }
        return id
    }

    /// The order named in the path and its sale's terms.
    private static func existing(
        _ context: WireRequestContext, desk: PurchaseDesk, store: UnitStore
    ) async throws -> (OrderID, Order, SaleTerms) {
        let id = try orderID(context, unit: desk.unit)
        guard let order = try await store.order(id) else {
            throw Problem(.unknownOrder, "no order \(id) at this unit")
        }
        guard let terms = desk.terms(sale: order.saleID) else { throw Problem(.unknownSale, "no sale '\(order.saleID)' at this unit") }
        return (id, order, terms)
    }

    /// Throws unless the caller presents the buyer token of the order's user: a name in `?user=` proves nothing,
    /// so in a sale without tokens the order's secret is the buyer's only proof.
    private static func requireBuyer(
        _ order: Order, of request: Request, _ context: WireRequestContext, terms: SaleTerms?, gate: BuyerGate,
        nowMs: @Sendable () -> Int64
    ) async throws {
        var rules = terms?.rules ?? .open
        rules.requireToken = true
        let caller = PurchaseRequest(
            sale: order.saleID, namedUser: nil, token: PurchaseFront.bearerToken(request.headers[.authorization]), captcha: nil,
            idempotencyKey: nil, clientAddress: gate.clientAddress(peer: context.remoteAddress, headers: request.headers))
        switch gate.identify(caller, rules: rules, nowMs: nowMs(), owning: false) {
        case .failure(let problem) where problem.code == .tokenRequired:
            throw Problem(
                .tokenRequired,
                "only its buyer may see or cancel this order: send the buyer token (Authorization: Bearer) or the order's secret (\(OrderAccess.secretHeader))")
        case .failure(let problem): throw problem
        case .success(let identity):
            guard identity.user == order.userID else {
                throw Problem(.notOrderOwner, "only its buyer may see or cancel this order (buyer token, or the order's secret in \(OrderAccess.secretHeader))")
            }
        }
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
