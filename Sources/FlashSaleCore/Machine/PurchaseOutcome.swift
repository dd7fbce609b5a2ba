// Every answer a purchase can get, before it becomes HTTP.

/// The result of one purchase attempt at this unit.
public enum PurchaseOutcome: Sendable, Equatable {
    /// A new order, durable in SQLite.
    case created(Order)
    /// A retry with a known idempotency key: the order the first request made.
    case replayed(Order)
    /// The idempotency key was used by this user for another sale.
    case idempotencyKeyMismatch
    /// The first request with this idempotency key has not been answered yet.
    case idempotencyInProgress
    /// The user already holds the per-user limit; `existing` is their first order.
    case alreadyBought(existing: Order)
    /// No rights left anywhere this unit knows of.
    case soldOut
    /// None left here, but other nodes still hold some: gossip is moving stock, try again shortly.
    case rebalancing
    /// The sale opens at `startsAtMs`, in `startsInMs`.
    case notStarted(startsAtMs: Int64, startsInMs: Int64)
    case ended
    /// The operator paused the sale; it may resume.
    case paused
    case unknownSale
    /// The unit lost its database and has not yet taken back from the cluster what it had sold before.
    case recovering
    /// The order could not be written; its stock went back and nothing was sold.
    case notPersisted
    /// The buyer's custody is changing (this unit is taking them over, or was retired), or their order is written and
    /// its copy is not yet at their guardian (`Custody`): try again shortly, with the same Idempotency-Key.
    case custodyPending
}
