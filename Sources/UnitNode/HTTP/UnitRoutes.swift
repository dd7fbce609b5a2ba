// The regional endpoint's HTTP API: sale status, purchase, order lookup.

import FlashSaleAPI
import FlashSaleCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Routes of a unit node. Purchases are decided by `PurchaseFront`: on the event loop by `PurchaseHandler` for
/// nearly every request, here for a purchase pipelined behind a request that Hummingbird still answers (and in
/// router tests), with the same answers.
enum UnitRoutes {
    static func router(
        front: PurchaseFront, store: UnitStore, writer: GroupCommitWriter, region: String,
        nowMs: @escaping @Sendable () -> Int64
    ) -> Router<WireRequestContext> {
        let (desk, gate, metrics, access) = (front.desk, front.gate, front.metrics, front.access)
        let router = Router(context: WireRequestContext.self)
        router.add(middleware: ProblemMiddleware(routes: .unit))
        router.get("/healthz") { _, _ in try WireResponse.json(["status": "ok"]) }
        router.get("/openapi.json") { _, _ in OpenAPIDocument.unit.response }

        router.post("/v1/sales/{sale}/purchases") { request, context in
            let ask = PurchaseAsk(
                sale: context.parameters.get("sale") ?? "", target: request.uri.string, headers: .fields(request.headers),
                peer: context.remoteAddress)
            var body = PurchaseBody.bytes(ByteBuffer())
            if front.needsBody(ask) {
                do {
                    body = .bytes(try await request.body.collect(upTo: PurchaseFront.bodyMaxBytes))
                } catch is NIOTooManyBytesError {
                    body = .tooLarge
                }
            }
            // Off the hot path (the purchase handler answers nearly every purchase), so the clock is read for all.
            let decidedAt = NIODeadline.now()
            let answer = await withCheckedContinuation { (continuation: CheckedContinuation<WireAnswer, Never>) in
                let then: @Sendable (PurchaseCompletion) -> Void = {
                    continuation.resume(returning: front.answer($0, decidedAt: decidedAt))
                }
                if let now = front.decide(ask, body: body, then: then) {
                    continuation.resume(returning: now)
                }
            }
            return answer.response
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
}
