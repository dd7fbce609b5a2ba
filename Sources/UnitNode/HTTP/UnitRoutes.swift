// The regional endpoint's HTTP API: sale status, purchase, order lookup.

import FlashSaleAPI
import FlashSaleCore
import Foundation
import GRDB
import Hummingbird

/// Routes of a unit node. The purchase handler does no I/O before the desk has decided, and answers that are
/// the same every time (sold out, ended) are encoded once.
enum UnitRoutes {
    static let soldOut = Problem(.soldOut, "no stock left for this sale at this unit").encodedResponse()
    static let ended = Problem(.saleEnded, "the sale has ended").encodedResponse()
    static let notPersisted = Problem(.orderNotPersisted, "try again", retryAfterSeconds: 1).encodedResponse()
    static let recovering = Problem(
        .unitRecovering, "this unit is restoring its sales from the cluster before it sells again; try again",
        retryAfterSeconds: 1
    ).encodedResponse()
    static let rebalancing = Problem(
        .rebalancing, "no stock left at this unit, but other units hold some and it is being moved here; try again",
        retryAfterSeconds: 1
    ).encodedResponse()
    static let badUser = Problem(
        .invalidInput, "give the buyer as ?user=<id> or {\"user\": \"<id>\"}: 1-\(IdentifierRule.userIDMaxLength) printable characters, no spaces, quotes or slashes"
    ).encodedResponse()

    static func router(desk: PurchaseDesk, pool: DatabasePool, region: String, nowMs: @escaping @Sendable () -> Int64) -> Router<WireRequestContext> {
        let router = Router(context: WireRequestContext.self)
        router.add(middleware: ProblemMiddleware())
        router.get("/healthz") { _, _ in try WireResponse.json(["status": "ok"]) }

        router.post("/v1/sales/{sale}/purchases") { request, context in
            let user: String
            if let query = request.uri.queryParameters.get("user") {
                user = query
            } else if request.headers[.contentType] != nil {
                user = try await request.decode(as: PurchaseInput.self, context: context).user
            } else {
                return badUser
            }
            guard IdentifierRule.isValidUserID(user) else { return badUser }
            let sale = context.parameters.get("sale") ?? ""
            return try response(for: await desk.purchase(sale: sale, user: user), sale: sale)
        }

        router.get("/v1/sales") { _, _ in
            let now = nowMs()
            return try WireResponse.json(desk.snapshots().map { view($0, unit: desk.unit, region: region, nowMs: now) })
        }
        router.get("/v1/sales/{sale}") { _, context in
            let sale = context.parameters.get("sale") ?? ""
            guard let snapshot = desk.snapshot(sale: sale) else { throw Problem(.unknownSale, "no sale '\(sale)' at this unit") }
            return try WireResponse.json(view(snapshot, unit: desk.unit, region: region, nowMs: nowMs()))
        }

        router.get("/v1/orders/{order}") { _, context in
            let text = context.parameters.get("order") ?? ""
            guard let id = OrderID(text) else { throw Problem(.invalidInput, "'\(text)' is not an order id (<unit>-<ms>-<seq>)") }
            guard id.unit == desk.unit else {
                throw Problem(.unknownOrder, "order \(id) was taken by unit '\(id.unit)'; ask that unit")
            }
            guard let order = try await pool.read({ db in try UnitRecords.order(id, db) }) else {
                throw Problem(.unknownOrder, "no order \(id)")
            }
            return try WireResponse.json(OrderView(order))
        }
        return router
    }

    static func response(for outcome: PurchaseOutcome, sale: String) throws -> Response {
        switch outcome {
        case .created(let order):
            var response = try WireResponse.json(OrderView(order), status: .created)
            response.headers[.location] = "/v1/orders/\(order.id)"
            return response
        case .soldOut:
            return soldOut
        case .alreadyBought(let existing):
            return Problem(.alreadyBought, "this buyer already holds the most this sale allows", order: OrderView(existing))
                .encodedResponse()
        case .notStarted(let startsAtMs, let startsInMs):
            return Problem(
                .saleNotStarted, "the sale opens at its start time", retryAfterSeconds: Int((startsInMs + 999) / 1000),
                startsAt: Date(millisecondsSince1970: startsAtMs)
            ).encodedResponse()
        case .ended:
            return ended
        case .unknownSale:
            return Problem(.unknownSale, "no sale '\(sale)' at this unit").encodedResponse()
        case .notPersisted:
            return notPersisted
        case .rebalancing:
            return rebalancing
        case .recovering:
            return recovering
        }
    }

    static func view(_ snapshot: SaleSnapshot, unit: NodeID, region: String, nowMs: Int64) -> SaleView {
        let terms = snapshot.terms
        let state: String
        switch terms.phase(atMs: nowMs) {
        case .scheduled, .ended: state = terms.phase(atMs: nowMs).name
        case .open: state = snapshot.available > 0 ? "open" : "sold-out"
        }
        return SaleView(
            id: terms.id, title: terms.title, state: state, stockLeft: max(snapshot.available, 0),
            perUserLimit: terms.perUserLimit, startsAt: Date(millisecondsSince1970: terms.startsAtMs),
            endsAt: Date(millisecondsSince1970: terms.endsAtMs), serverTime: Date(millisecondsSince1970: nowMs),
            unit: unit.rawValue, region: region)
    }
}
