// What a purchase is answered, as bytes: the answers that never change encoded once, the others on demand.

import FlashSaleAPI
import FlashSaleCore
import Foundation
import HTTPTypes

/// The purchase route's answers. In a flash sale nearly every request is refused the same way (sold out, ended),
/// so those answers are encoded once, when the unit starts, and written as they are.
enum PurchaseAnswers {
    static let soldOut = Problem(.soldOut, "no stock left for this sale at this unit").answer
    static let ended = Problem(.saleEnded, "the sale has ended").answer
    static let paused = Problem(.salePaused, "the operator paused this sale; it may resume", retryAfterSeconds: 5).answer
    static let notPersisted = Problem(.orderNotPersisted, "try again", retryAfterSeconds: 1).answer
    static let custodyPendingProblem = Problem(
        .custodyPending,
        "this buyer's orders are on their way to the unit that keeps their copy, or another unit of the region is taking this buyer over; try again with the same Idempotency-Key",
        retryAfterSeconds: 1)
    static let custodyPending = custodyPendingProblem.answer
    static let recovering = Problem(
        .unitRecovering, "this unit is restoring its sales from the cluster before it sells again; try again",
        retryAfterSeconds: 1
    ).answer
    static let rebalancing = Problem(
        .rebalancing, "no stock left at this unit, but other units hold some and it is being moved here; try again",
        retryAfterSeconds: 1
    ).answer
    /// "Try again" when this unit had no peer to ask for stock: what others hold is in orders awaiting payment (which
    /// may expire) or not yet allocated, so it comes back slower than a pull.
    static let rebalancingUnasked = Problem(
        .rebalancing, "no stock left at this unit; other nodes hold some, in orders not yet paid or not yet allocated; try again later",
        retryAfterSeconds: 3
    ).answer
    static let badUserProblem = Problem(
        .invalidInput, "give the buyer as ?user=<id> or {\"user\": \"<id>\"}: 1-\(IdentifierRule.userIDMaxLength) printable characters, no spaces, quotes or slashes"
    )
    static let badBodyProblem = Problem(.invalidInput, "the body must be JSON of the form {\"user\": \"<id>\"}")
    static let badKey = Problem(
        .invalidInput, "Idempotency-Key must be 1-\(PurchaseFront.idempotencyKeyMaxLength) printable ASCII characters"
    ).answer
    // Field names that are valid tokens by their letters alone: the unwrap cannot fail, and no input reaches it.
    static let idempotentReplayed = HTTPField.Name("Idempotent-Replayed")!
    static let altcha = HTTPField.Name("Altcha")!
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!

    /// The answer to a purchase; a 201 carries the order's secret (`access`), for its buyer alone.
    static func answer(_ outcome: PurchaseOutcome, sale: String, terms: SaleTerms?, access: OrderAccess?) -> WireAnswer {
        switch outcome {
        case .created(let order):
            return created(order, terms: terms, access: access, replayed: false)
        case .replayed(let order):
            return created(order, terms: terms, access: access, replayed: true)
        case .idempotencyKeyMismatch:
            return Problem(.idempotencyKeyMismatch, "this buyer used this Idempotency-Key for another sale").answer
        case .idempotencyInProgress:
            return Problem(.idempotencyInProgress, "the first request with this key is being written; try again", retryAfterSeconds: 1)
                .answer
        case .soldOut:
            return soldOut
        case .alreadyBought(let existing):
            return Problem(
                .alreadyBought, "this buyer already holds the most this sale allows", order: UnitRoutes.view(existing, terms: terms)
            ).answer
        case .notStarted(let startsAtMs, let startsInMs):
            return Problem(
                .saleNotStarted, "the sale opens at its start time", retryAfterSeconds: Int((startsInMs + 999) / 1000),
                startsAt: Date(millisecondsSince1970: startsAtMs)
            ).answer
        case .ended:
            return ended
        case .paused:
            return paused
        case .unknownSale:
            return Problem(.unknownSale, "no sale '\(sale)' at this unit").answer
        case .notPersisted:
            return notPersisted
        case .custodyPending:
            return custodyPending
        case .rebalancing:
            return rebalancing
        case .recovering:
            return recovering
        }
    }

    /// 201 with the order, its `Location`, and `Idempotent-Replayed: true` for a replay.
    private static func created(_ order: Order, terms: SaleTerms?, access: OrderAccess?, replayed: Bool) -> WireAnswer {
        // The id is written once (`view.id`) for the body, the secret and the location: it was 1.3 % of the full
        // path's CPU when each wrote it again.
        var view = UnitRoutes.view(order, terms: terms)
        view.orderSecret = access?.orderSecret(for: view.id)
        var answer = WireAnswer(status: .created, headers: [.contentType: "application/json"], body: view.wireJSON)
        answer.headers[.location] = "/v1/orders/" + view.id
        if replayed { answer.headers[idempotentReplayed] = "true" }
        return answer
    }
}
