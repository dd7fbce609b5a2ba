// The in-memory verdict on one purchase attempt at one unit.

/// What the purchase book says to one attempt, before anything is written.
public enum Admission: Sendable, Equatable {
    /// Take an order: the unit has rights left and the user is under the limit.
    case admit
    /// The user already holds the sale's per-user limit; `existing` is the first order they hold.
    case limitReached(existing: Order)
    /// The unit has no rights left for this sale.
    case soldOut
}
