// Which idempotency keys a unit has seen, and what each one made.

/// Makes a retried purchase get the first answer back instead of a second order. A key belongs to one user
/// (two users may pick the same key); it names one request, here one sale, so the same key for another sale is a
/// client bug (422). Only requests that made an order are remembered: a refusal changed nothing, so a retry of it
/// is simply tried again. Entries are bounded by the orders the unit holds plus those in flight.
public struct IdempotencyIndex: Sendable {
    /// What a key means for a new request.
    public enum Lookup: Sendable, Equatable {
        /// Never seen: go ahead.
        case new
        /// The request already made this order.
        case replay(Order)
        /// The first request with this key is still being written.
        case inProgress
        /// The key made (or is making) an order of another sale.
        case mismatch
    }

    private struct Key: Hashable, Sendable {
        let user: String
        let key: String
    }

    private enum Entry: Sendable {
        case inFlight(sale: String)
        case done(Order)
    }

    private var entries: [Key: Entry] = [:]

    public init() {}

    public var count: Int { entries.count }

    /// The next new key makes the index grow (rehashing every key it holds).
    public var isFull: Bool { entries.count >= entries.capacity }

    /// Keys the index has room for without growing (tests).
    var capacity: Int { entries.capacity }

    /// Makes room for `count` keys in all.
    public mutating func reserveCapacity(_ count: Int) {
        if count > entries.capacity { entries.reserveCapacity(count) }
    }

    public func lookup(user: String, key: String, sale: String) -> Lookup {
        switch entries[Key(user: user, key: key)] {
        case nil: .new
        case .inFlight(let inFlightSale): inFlightSale == sale ? .inProgress : .mismatch
        case .done(let order): order.saleID == sale ? .replay(order) : .mismatch
        }
    }

    /// An order with this key was admitted and is being written.
    public mutating func begin(_ order: Order) {
        guard let key = order.idempotencyKey else { return }
        entries[Key(user: order.userID, key: key)] = .inFlight(sale: order.saleID)
    }

    /// The order is durable: retries get it back from now on.
    public mutating func finish(_ order: Order) {
        guard let key = order.idempotencyKey else { return }
        entries[Key(user: order.userID, key: key)] = .done(order)
    }

    /// The order moved on (paid, cancelled, expired): a retry sees it as it is now, not as it was first answered.
    /// A key that made no order here (or a different one) is left as it is.
    public mutating func update(_ order: Order) {
        guard let key = order.idempotencyKey, case .done(let known) = entries[Key(user: order.userID, key: key)],
            known.id == order.id
        else { return }
        entries[Key(user: order.userID, key: key)] = .done(order)
    }

    /// The order was not written: the key is free again.
    public mutating func abandon(_ order: Order) {
        guard let key = order.idempotencyKey else { return }
        entries[Key(user: order.userID, key: key)] = nil
    }
}
