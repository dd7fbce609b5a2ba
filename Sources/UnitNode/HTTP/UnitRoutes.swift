// The regional endpoint's HTTP API: sale status, purchase, order lookup.

import FlashSaleAPI
import FlashSaleCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Routes of a unit node. The purchase handler does no I/O before the desk has decided, and answers that are
/// the same every time (sold out, ended) are encoded once.
enum UnitRoutes {
    static let soldOut = Problem(.soldOut, "no stock left for this sale at this unit").encodedResponse()
    static let ended = Problem(.saleEnded, "the sale has ended").encodedResponse()
    static let paused = Problem(.salePaused, "the operator paused this sale; it may resume", retryAfterSeconds: 5)
        .encodedResponse()
    static let notPersisted = Problem(.orderNotPersisted, "try again", retryAfterSeconds: 1).encodedResponse()
    static let recovering = Problem(
        .unitRecovering, "this unit is restoring its sales from the cluster before it sells again; try again",
        retryAfterSeconds: 1
    ).encodedResponse()
    static let rebalancing = Problem(
        .rebalancing, "no stock left at this unit, but other units hold some and it is being moved here; try again",
        retryAfterSeconds: 1
    ).encodedResponse()
    static let badUserProblem = Problem(
        .invalidInput, "give the buyer as ?user=<id> or {\"user\": \"<id>\"}: 1-\(IdentifierRule.userIDMaxLength) printable characters, no spaces, quotes or slashes"
    )
    static let badKey = Problem(
        .invalidInput, "Idempotency-Key must be 1-\(idempotencyKeyMaxLength) printable ASCII characters"
    ).encodedResponse()
    static let idempotencyKeyMaxLength = 255
    // Field names that are valid tokens by their letters alone: the unwrap cannot fail, and no input reaches it.
    static let idempotentReplayed = HTTPField.Name("Idempotent-Replayed")!
    static let altcha = HTTPField.Name("Altcha")!
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!

    static func router(
        desk: PurchaseDesk, gate: BuyerGate, store: UnitStore, writer: GroupCommitWriter, region: String,
        metrics: UnitMetrics, access: OrderAccess, nowMs: @escaping @Sendable () -> Int64
    ) -> Router<WireRequestContext> {
        let router = Router(context: WireRequestContext.self)
        router.add(middleware: ProblemMiddleware(routes: .unit))
        router.get("/healthz") { _, _ in try WireResponse.json(["status": "ok"]) }
        router.get("/openapi.json") { _, _ in OpenAPIDocument.unit.response }

        router.post("/v1/sales/{sale}/purchases") { request, context in
            let sale = context.parameters.get("sale") ?? ""
            let key = request.headers[idempotencyKey]
            if let key, !isValidIdempotencyKey(key) {
                metrics.purchase(.refused(.invalidInput))
                return badKey
            }
            // Without a key nothing can be replayed: a purchase that cannot happen is refused before any filter.
            let terms: SaleTerms
            switch desk.opening(sale: sale, replayable: key != nil) {
            case .filters(let open): terms = open
            case .answer(let answer): return try response(for: answer, sale: sale, counting: metrics)
            }
            let rules = terms.rules
            var namedUser: String?
            if !rules.requireToken {
                if let query = request.uri.queryParameters.get("user") {
                    namedUser = query
                } else if request.headers[.contentType] != nil {
                    do {
                        namedUser = try await request.decode(as: PurchaseInput.self, context: context).user
                    } catch {
                        // Counted as ProblemMiddleware will answer: a body past the upload limit is 413, the rest 400.
                        let code = (error as? Problem)?.code ?? (error is NIOTooManyBytesError ? .payloadTooLarge : .invalidInput)
                        metrics.purchase(PurchaseOutcomeLabel(code))
                        throw error
                    }
                }
            }
            let purchase = PurchaseRequest(
                sale: sale, namedUser: namedUser, token: bearerToken(request.headers[.authorization]),
                captcha: request.headers[altcha], idempotencyKey: key,
                clientAddress: gate.clientAddress(peer: context.remoteAddress, headers: request.headers))
            let now = nowMs()
            let identity: BuyerIdentity
            switch await gate.identify(purchase, rules: rules, nowMs: now) {
            case .success(let known): identity = known
            case .failure(let problem):
                metrics.purchase(PurchaseOutcomeLabel(problem.code))
                return problem.encodedResponse()
            }
            if let replay = desk.replay(sale: sale, user: identity.user, idempotencyKey: key) {
                return try response(for: replay, sale: sale, terms: terms, access: access, counting: metrics)
            }
            if let problem = gate.permit(identity, request: purchase, rules: rules, nowMs: now) {
                metrics.purchase(PurchaseOutcomeLabel(problem.code))
                return problem.encodedResponse()
            }
            return try response(
                for: await desk.purchase(sale: sale, user: identity.user, idempotencyKey: key), sale: sale, terms: terms,
                access: access, counting: metrics)
        }

        router.get("/v1/sales/{sale}/challenge") { request, context in
            let sale = context.parameters.get("sale") ?? ""
            guard let terms = desk.terms(sale: sale) else { throw Problem(.unknownSale, "no sale '\(sale)' at this unit") }
            guard let difficulty = terms.rules.captchaDifficulty else {
                throw Problem(.notFound, "sale '\(sale)' asks for no proof of work")
            }
            let now = nowMs()
            let client = gate.clientAddress(peer: context.remoteAddress, headers: request.headers)
            let challenge: ProofOfWorkChallenge
            switch gate.challenge(sale: terms, difficulty: difficulty, client: client, nowMs: now) {
            case .issued(let issued): challenge = issued
            case .refused(let problem): throw problem
            case .tooEarly:
                let issuedFromMs = terms.startsAtMs - BuyerGate.challengeLeadMs
                throw Problem(
                    .saleNotStarted, "challenges are issued from \(BuyerGate.challengeLeadMs / 1000) s before the start",
                    retryAfterSeconds: Int((issuedFromMs - now + 999) / 1000), startsAt: Date(millisecondsSince1970: terms.startsAtMs))
            }
            var response = try WireResponse.json(challenge)
            response.headers[.cacheControl] = "no-store"
            return response
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

        OrderStreamRoutes.add(
            to: router, unit: desk.unit, store: store, commits: writer.commits, access: access, terms: { desk.terms(sale: $0) })
        OrderLifecycleRoutes.add(
            to: router, desk: desk, gate: gate, store: store, writer: writer, metrics: metrics, access: access, nowMs: nowMs)
        BuyerPageRoutes.add(to: router)
        return router
    }

    /// The answer to a purchase, counted in flashsale_purchases_total.
    static func response(
        for outcome: PurchaseOutcome, sale: String, terms: SaleTerms? = nil, access: OrderAccess? = nil,
        counting metrics: UnitMetrics
    ) throws -> Response {
        metrics.purchase(PurchaseOutcomeLabel(outcome))
        return try response(for: outcome, sale: sale, terms: terms, access: access)
    }

    /// The answer to a purchase; a 201 carries the order's secret (`access`), for its buyer alone.
    static func response(
        for outcome: PurchaseOutcome, sale: String, terms: SaleTerms? = nil, access: OrderAccess? = nil
    ) throws -> Response {
        func created(_ order: Order) -> OrderView {
            var view = view(order, terms: terms)
            view.orderSecret = access?.orderSecret(for: order.id.description)
            return view
        }
        switch outcome {
        case .created(let order):
            var response = try WireResponse.json(created(order), status: .created)
            response.headers[.location] = "/v1/orders/\(order.id)"
            return response
        case .replayed(let order):
            var response = try WireResponse.json(created(order), status: .created)
            response.headers[.location] = "/v1/orders/\(order.id)"
            response.headers[idempotentReplayed] = "true"
            return response
        case .idempotencyKeyMismatch:
            return Problem(.idempotencyKeyMismatch, "this buyer used this Idempotency-Key for another sale").encodedResponse()
        case .idempotencyInProgress:
            return Problem(.idempotencyInProgress, "the first request with this key is being written; try again", retryAfterSeconds: 1)
                .encodedResponse()
        case .soldOut:
            return soldOut
        case .alreadyBought(let existing):
            return Problem(.alreadyBought, "this buyer already holds the most this sale allows", order: view(existing, terms: terms))
                .encodedResponse()
        case .notStarted(let startsAtMs, let startsInMs):
            return Problem(
                .saleNotStarted, "the sale opens at its start time", retryAfterSeconds: Int((startsInMs + 999) / 1000),
                startsAt: Date(millisecondsSince1970: startsAtMs)
            ).encodedResponse()
        case .ended:
            return ended
        case .paused:
            return paused
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
        case .scheduled, .ended, .paused: state = terms.phase(atMs: nowMs).name
        case .open: state = snapshot.available > 0 ? "open" : "sold-out"
        }
        return SaleView(
            id: terms.id, title: terms.title, state: state, stockLeft: max(snapshot.available, 0),
            perUserLimit: terms.perUserLimit, startsAt: Date(millisecondsSince1970: terms.startsAtMs),
            endsAt: Date(millisecondsSince1970: terms.endsAtMs), serverTime: Date(millisecondsSince1970: nowMs),
            unit: unit.rawValue, region: region)
    }

    /// An order as buyers see it: with its payment deadline when the sale is known here.
    static func view(_ order: Order, terms: SaleTerms?) -> OrderView {
        terms.map { OrderView(order, terms: $0) } ?? OrderView(order)
    }

    /// The token of an `Authorization: Bearer <token>` header.
    static func bearerToken(_ header: String?) -> String? {
        guard let header, header.count > 7, header.prefix(7).lowercased() == "bearer " else { return nil }
        return String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
    }

    static func isValidIdempotencyKey(_ key: String) -> Bool {
        (1...idempotencyKeyMaxLength).contains(key.utf8.count) && key.utf8.allSatisfy { (0x21...0x7E).contains($0) }
    }
}
