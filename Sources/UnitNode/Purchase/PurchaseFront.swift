// The purchase route's decision, whoever read the request: the handler on the event loop or the Hummingbird route.

import FlashSaleAPI
import FlashSaleCore
import Foundation
import HTTPTypes
import HummingbirdCore
import NIOCore
import NIOHTTP1

/// A purchase request's head, as either HTTP layer read it. The parts are read from it only when the decision needs
/// them: a sold-out sale answers before the query, the token or the client's address are looked at.
struct PurchaseAsk: Sendable {
    let sale: String
    /// The request target (path and query) as sent.
    let target: String
    let headers: Headers
    let peer: SocketAddress?

    /// The request's header fields as the layer that read them holds them: NIOHTTP1's (the purchase handler, in
    /// front of the HTTP-types codec) or HTTP-types' (the Hummingbird route). Looked up by name, case-insensitively,
    /// only when the decision needs a field.
    enum Headers: Sendable {
        case nio(HTTPHeaders)
        case fields(HTTPFields)

        subscript(name: HTTPField.Name) -> String? {
            switch self {
            case .nio(let headers): headers.first(name: name.canonicalName)
            case .fields(let fields): fields[name]
            }
        }

        /// Every value of `name`, in order.
        subscript(values name: HTTPField.Name) -> [String] {
            switch self {
            case .nio(let headers): headers[name.canonicalName]
            case .fields(let fields): fields[values: name]
            }
        }
    }

    /// The `Idempotency-Key` header as sent (checked by the front).
    var idempotencyKey: String? { headers[PurchaseAnswers.idempotencyKey] }
    /// `?user=` as sent, percent-decoded as Hummingbird's router does.
    var queryUser: String? {
        guard target.utf8.contains(UInt8(ascii: "?")) else { return nil }
        return URI(target).queryParameters.get("user")
    }
    /// Whether the request named a `Content-Type`: then its body is `{"user": ...}` when there is no `?user=`.
    var hasContentType: Bool { headers[.contentType] != nil }
}

/// A purchase request's body, as far as it was read.
enum PurchaseBody: Sendable {
    case bytes(ByteBuffer)
    /// Longer than `PurchaseFront.bodyMaxBytes`: refused as 413 if it had to be read, ignored otherwise.
    case tooLarge
}

/// An order the writer has answered for, to be turned into its buyer's answer (`PurchaseFront.answer(_:)`) on the
/// buyer's connection: encoding the 201 is the connection's work, not the writer's.
struct PurchaseCompletion: Sendable {
    let outcome: PurchaseOutcome
    let sale: String
    let terms: SaleTerms
}

/// The whole decision on a purchase request, synchronous: its key, the sale's opening, the buyer filters, an
/// idempotent replay, the desk. It never waits on I/O and holds each lock for a lookup only, so the purchase
/// handler calls it on the connection's event loop; the Hummingbird route (the same path behind a pipelined request,
/// and in router tests) calls it too, so there is one purchase route, whichever layer read it. Every answer is
/// counted in flashsale_purchases_total here, once.
final class PurchaseFront: Sendable {
    /// The longest purchase body read: Hummingbird's upload limit, which the route had before this handler.
    static let bodyMaxBytes = 2 << 20
    static let idempotencyKeyMaxLength = 255

    let desk: PurchaseDesk
    let gate: BuyerGate
    let metrics: UnitMetrics
    let access: OrderAccess
    /// With gossip: the bell that asks peers for stock when a buyer here is told "try again", and the hold that keeps
    /// that buyer a moment instead (`StockHold`). Nil without gossip (the machine then never says "try again").
    let pulls: StockPulls?
    let hold: StockHold?
    /// Where a retry waits for its order's copy to reach the buyer's guardian, as the first request did.
    let guardianWait: GuardianWait?
    private let nowMs: @Sendable () -> Int64

    init(
        desk: PurchaseDesk, gate: BuyerGate, metrics: UnitMetrics, access: OrderAccess, pulls: StockPulls? = nil,
        hold: StockHold? = nil, guardianWait: GuardianWait? = nil, nowMs: @escaping @Sendable () -> Int64
    ) {
        self.guardianWait = guardianWait
        self.desk = desk
        self.gate = gate
        self.metrics = metrics
        self.access = access
        self.pulls = pulls
        self.hold = hold
        self.nowMs = nowMs
    }

    /// Whether the decision will read the body: a sale without tokens whose request named no `?user=` but a
    /// `Content-Type`. A route that collects bodies itself asks first, so a refusal never waits on a body.
    func needsBody(_ ask: PurchaseAsk) -> Bool {
        // Cheapest first: most purchases name no Content-Type, and the query is parsed only when one does.
        guard ask.hasContentType, ask.queryUser == nil, let terms = desk.terms(sale: ask.sale) else { return false }
        return !terms.rules.requireToken
    }

    /// The answer to `ask` now, or nil when an order was queued: `then` hears how it ended, after its commit (on
    /// the writer's thread), and `answer(_:)` turns that into the buyer's answer.
    func decide(
        _ ask: PurchaseAsk, body: PurchaseBody, then: @escaping @Sendable (PurchaseCompletion) -> Void
    ) -> WireAnswer? {
        let sale = ask.sale
        let key = ask.idempotencyKey
        if let key, !Self.isValidIdempotencyKey(key) {
            metrics.purchase(.refused(.invalidInput))
            return PurchaseAnswers.badKey
        }
        // Without a key nothing can be replayed: a purchase that cannot happen is refused before any filter.
        let terms: SaleTerms
        switch desk.opening(sale: sale, replayable: key != nil) {
        case .filters(let open): terms = open
        case .answer(let outcome): return answer(outcome, sale: sale, terms: nil)
        }
        let rules = terms.rules
        var namedUser: String?
        if !rules.requireToken {
            if let user = ask.queryUser {
                namedUser = user
            } else if ask.hasContentType {
                switch Self.user(in: body) {
                case .success(let user): namedUser = user
                case .failure(let problem): return refused(problem)
                }
            }
        }
        let request = PurchaseRequest(
            sale: sale, namedUser: namedUser, token: Self.bearerToken(ask.headers[.authorization]),
            captcha: ask.headers[PurchaseAnswers.altcha], idempotencyKey: key,
            clientAddress: gate.clientAddress(peer: ask.peer, forwardedFor: ask.headers[values: BuyerGate.forwardedFor]))
        let now = nowMs()
        let identity: BuyerIdentity
        switch gate.identify(request, rules: rules, nowMs: now) {
        case .success(let known): identity = known
        case .failure(let problem): return refused(problem)
        }
        // A retry of an order whose copy is still on its way waits for it (up to `GuardianWait.patience`), as the first
        // request did, rather than spend one of the buyer's retries on a 503 straight away.
        if let key, let guardianWait, let order = desk.unguardedReplay(sale: sale, user: identity.user, idempotencyKey: key) {
            guardianWait.park(order) { outcome in
                let replayed: PurchaseOutcome = if case .created(let order) = outcome { .replayed(order) } else { outcome }
                then(PurchaseCompletion(outcome: replayed, sale: sale, terms: terms))
            }
            return nil
        }
        if let replay = desk.replay(sale: sale, user: identity.user, idempotencyKey: key) {
            return answer(replay, sale: sale, terms: terms)
        }
        if let problem = gate.permit(identity, request: request, rules: rules, nowMs: now) { return refused(problem) }
        let held = Held(sale: sale, user: identity.user, key: key, terms: terms, deadlineMs: hold?.deadline() ?? 0, then: then)
        guard let decided = purchase(held) else { return nil }
        if case .rebalancing = decided, let hold {
            if hold.hold(sale: sale, deadlineMs: held.deadlineMs, retry: retry(held)) { return nil }
            metrics.holds[.full]?.increment()
        }
        return answer(decided, sale: sale, terms: terms)
    }

    /// A purchase past the filters, as it is decided again while held.
    private struct Held: Sendable {
        let sale: String
        let user: String
        let key: String?
        let terms: SaleTerms
        /// On the hold's monotonic clock (`StockHold.deadline`).
        let deadlineMs: Int64
        let then: @Sendable (PurchaseCompletion) -> Void
    }

    /// The desk's decision on `held`: an answer now, or nil when its order was queued (`then` hears it after the
    /// commit). "Try again" rings for stock (`StockPulls`) before it is held or answered.
    private func purchase(_ held: Held) -> PurchaseOutcome? {
        let outcome = desk.purchase(sale: held.sale, user: held.user, idempotencyKey: held.key) { outcome in
            held.then(PurchaseCompletion(outcome: outcome, sale: held.sale, terms: held.terms))
        }
        if case .rebalancing = outcome { pulls?.wantStock() }
        return outcome
    }

    /// What the hold runs for `held`: decide it again; held again if still "try again" and its time is not out, else
    /// answered through `then` (counted once, by `answer(_:)`, on the buyer's connection).
    private func retry(_ held: Held) -> StockHold.Retry {
        { [self] last in
            guard let outcome = purchase(held) else {
                metrics.holds[.served]?.increment()
                return
            }
            if case .rebalancing = outcome {
                if !last, let hold, hold.hold(sale: held.sale, deadlineMs: held.deadlineMs, retry: retry(held)) { return }
                metrics.holds[.timedOut]?.increment()
            } else {
                metrics.holds[.served]?.increment()
            }
            held.then(PurchaseCompletion(outcome: outcome, sale: held.sale, terms: held.terms))
        }
    }

    /// The buyer's answer to a queued (or held) purchase, once the writer (or the hold) has answered for it; a new
    /// order's wait since `decidedAt`, when `decide` returned nil, goes to `flashsale_order_seconds`.
    func answer(_ completion: PurchaseCompletion, decidedAt: NIODeadline) -> WireAnswer {
        if case .created = completion.outcome {
            metrics.orderSeconds.recordNanoseconds((NIODeadline.now() - decidedAt).nanoseconds)
        }
        return answer(completion.outcome, sale: completion.sale, terms: completion.terms)
    }

    /// The answer to `outcome`, counted; a 201 carries the order's secret (`access`), for its buyer alone. "Try
    /// again" says when: in a second if stock is likely on its way (`StockPulls.isUnderway`), later if this unit had no
    /// peer to ask (what others hold is in orders not yet paid, or not yet allocated).
    private func answer(_ outcome: PurchaseOutcome, sale: String, terms: SaleTerms?) -> WireAnswer {
        metrics.purchase(PurchaseOutcomeLabel(outcome))
        if case .rebalancing = outcome, let pulls, !pulls.isUnderway(sale: sale, nowMs: nowMs()) {
            return PurchaseAnswers.rebalancingUnasked
        }
        // An order another unit of the region holds (a replay after a takeover): its secret is that unit's to give.
        if case .replayed(let order) = outcome, order.id.unit != desk.unit {
            return PurchaseAnswers.answer(outcome, sale: sale, terms: terms, access: nil)
        }
        return PurchaseAnswers.answer(outcome, sale: sale, terms: terms, access: access)
    }

    private func refused(_ problem: Problem) -> WireAnswer {
        metrics.purchase(PurchaseOutcomeLabel(problem.code))
        return problem.answer
    }

    /// The user named in a `{"user": "..."}` body, or the problem with the body.
    static func user(in body: PurchaseBody) -> Result<String, Problem> {
        switch body {
        case .tooLarge:
            return .failure(Problem(.payloadTooLarge, "a purchase body is at most \(bodyMaxBytes) bytes"))
        case .bytes(let buffer):
            guard let input = try? WireJSON.decoder.decode(PurchaseInput.self, from: Data(buffer.readableBytesView)) else {
                return .failure(PurchaseAnswers.badBodyProblem)
            }
            return .success(input.user)
        }
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
