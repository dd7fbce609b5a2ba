// One sale's stock and buyers at one unit: the in-memory decision of the purchase hot path.

/// The state one unit decides purchases from, for one sale.
///
/// `ledger` holds only durable knowledge (committed orders, grants written to SQLite); orders admitted but not yet
/// committed are counted in `inFlight`, so the unit never promises more than `rights − inFlight`. A commit moves
/// orders from in flight to the ledger; a failed write hands them back.
public struct PurchaseBook: Sendable {
    public let unit: NodeID
    public private(set) var terms: SaleTerms
    public private(set) var ledger: RightsLedger
    /// Orders admitted and not yet committed.
    public private(set) var inFlight: Int64 = 0
    /// Grants reserved and not yet written, by receiver: they hold their stock like orders in flight.
    public private(set) var grantsInFlight: [NodeID: Int64] = [:]
    /// Orders that hold stock, by user, including those in flight. Bounded by the unit's rights, and sized for them
    /// up front (`reserveRoom`).
    private var holdings: [String: [Order]] = [:]
    /// `ledger.rights(of: unit)`, kept so the hot path does not sum the ledger.
    private var rightsHeld: Int64

    public init(unit: NodeID, terms: SaleTerms, ledger: RightsLedger, holding orders: [Order] = []) {
        self.unit = unit
        self.terms = terms
        self.ledger = ledger
        self.rightsHeld = ledger.rights(of: unit)
        let holding = orders.filter(\.status.holdsStock)
        reserveRoom(holding: holding.count)
        for order in holding { holdings[order.userID, default: []].append(order) }
    }

    /// The most buyers a book makes room for before its first order: past it, `holdings` grows as a dictionary
    /// does, doubling.
    public static let roomReservedMax = 1 << 20

    /// The most buyers this book can serve at once, up to `roomReservedMax`: those holding orders now, plus one for
    /// each right it can still sell (a new buyer takes at least one).
    public var room: Int { Self.room(holding: holdings.count, rights: rightsHeld) }

    private static func room(holding: Int, rights: Int64) -> Int {
        min(holding + Int(clamping: max(rights, 0)), roomReservedMax)
    }

    /// Makes room in `holdings` for every buyer the rights can serve. A dictionary that grows by doubling rehashes
    /// every key it holds, and the purchase path waits under the machine's lock meanwhile: 37 ms at 393,216 buyers and
    /// 90 ms at 786,432 (BENCHMARKS.md), in the middle of the sale. Made when rights arrive, before buyers do, the
    /// room costs memory for the keys' places only (24 bytes each), not for orders.
    private mutating func reserveRoom(holding: Int) {
        let wanted = Self.room(holding: holding, rights: rightsHeld)
        if wanted > holdings.capacity { holdings.reserveCapacity(wanted) }
    }

    /// Buyers `holdings` has room for without growing (tests).
    var buyerCapacity: Int { holdings.capacity }

    /// Units this unit can still promise.
    public var available: Int64 { rightsHeld - inFlight - grantsInFlight.values.reduce(0, +) }

    /// Orders held (durable and in flight).
    public var ordersHeld: Int64 { ledger.row(unit).held + inFlight }

    /// Rights other nodes hold, as far as this unit knows: what was minted, less what is sold and what it holds.
    /// Rows it has not heard of yet make this an overestimate, never an underestimate of stock sold.
    public var rightsElsewhere: Int64 { max(ledger.totalMinted - ledger.totalHeld - rightsHeld, 0) }

    /// Users holding at least one order here.
    public var buyerCount: Int { holdings.count }

    /// The orders `user` holds here.
    public func orders(of user: String) -> [Order] { holdings[user] ?? [] }

    /// Every order that holds stock here (in flight included).
    public var heldOrders: [Order] { holdings.values.flatMap { $0 } }

    /// The verdict on a purchase by `user`, who also holds `elsewhere` (orders at other units of the region that this
    /// unit holds copies of, `Custody`); changes nothing.
    public func admission(for user: String, elsewhere: [Order] = []) -> Admission {
        let held = holdings[user] ?? []
        if held.count + elsewhere.count >= terms.perUserLimit, let first = held.first ?? elsewhere.first {
            return .limitReached(existing: first)
        }
        return available > 0 ? .admit : .soldOut
    }

    /// Reserves stock for `order`, which `admission(for:)` just admitted.
    public mutating func hold(_ order: Order, elsewhere: [Order] = []) {
        precondition(admission(for: order.userID, elsewhere: elsewhere) == .admit, "hold without admission")
        holdings[order.userID, default: []].append(order)
        inFlight += 1
        precondition(available >= 0, "invariant: orders in flight never exceed the unit's rights")
    }

    /// `orders` are durable: they leave the in-flight count and enter the ledger as consumed. Each was held against
    /// `available`, so the ledger always has the rights for them: if it had not, this book and SQLite disagree, and
    /// the unit stops rather than sell from a book it cannot trust (a restart rebuilds it from SQLite).
    public mutating func committed(count: Int64) {
        guard count > 0 else { return }
        precondition(count <= inFlight, "invariant: only orders in flight are committed")
        inFlight -= count
        do {
            try ledger.consume(count, at: unit)
        } catch {
            preconditionFailure("invariant: committed orders are within the unit's rights (\(error))")
        }
        rightsHeld = ledger.rights(of: unit)
    }

    /// The write of `order` failed: its stock and the user's slot come back.
    public mutating func abandoned(_ order: Order) {
        guard var held = holdings[order.userID], let index = held.firstIndex(where: { $0.id == order.id }) else {
            preconditionFailure("invariant: only an order in flight is abandoned")
        }
        held.remove(at: index)
        holdings[order.userID] = held.isEmpty ? nil : held
        inFlight -= 1
    }

    /// `orders` were cancelled or expired, durably: their stock is this unit's to sell again and their buyers'
    /// slots are free.
    public mutating func released(_ orders: [Order]) {
        var count: Int64 = 0
        for order in orders {
            guard var held = holdings[order.userID], let index = held.firstIndex(where: { $0.id == order.id }) else {
                continue
            }
            held.remove(at: index)
            holdings[order.userID] = held.isEmpty ? nil : held
            count += 1
        }
        guard count > 0 else { return }
        do {
            try ledger.release(count, at: unit)
        } catch {
            preconditionFailure("invariant: an order released was held (\(error))")
        }
        rightsHeld = ledger.rights(of: unit)
    }

    /// `order` was paid, durably: it keeps its stock for good.
    public mutating func paid(_ order: Order) {
        guard var held = holdings[order.userID], let index = held.firstIndex(where: { $0.id == order.id }) else { return }
        held[index].status = .paid
        holdings[order.userID] = held
    }

    /// This unit sets `amount` of its rights aside to give to `node` (rebalancing, or returning stock to the
    /// config-center at the end of a sale): only rights not promised to orders or grants in flight can go. Returns
    /// the total this unit will then have given `node`, which the caller writes durably before anyone can hear of it,
    /// then reports with `grantPersisted` (or `grantAbandoned`: the stock comes back).
    public mutating func reserveGrant(_ amount: Int64, to node: NodeID) throws(LedgerError) -> Int64 {
        guard amount > 0, node != unit else { throw .amountNotPositive(amount) }
        guard amount <= available else {
            throw .insufficientRights(node: unit, held: available, wanted: amount)
        }
        grantsInFlight[node, default: 0] += amount
        return ledger.row(unit).grantedTo[node, default: 0] + grantsInFlight[node, default: 0]
    }

    /// The grant of `amount` to `node` reserved by `reserveGrant` is durable: it enters the ledger.
    public mutating func grantPersisted(_ amount: Int64, to node: NodeID) {
        takeGrantInFlight(amount, to: node)
        do {
            try ledger.grant(amount, from: unit, to: node)
        } catch {
            preconditionFailure("invariant: a grant reserved is within the unit's rights (\(error))")
        }
        rightsHeld = ledger.rights(of: unit)
    }

    /// The grant of `amount` to `node` reserved by `reserveGrant` could not be written: its stock is back.
    public mutating func grantAbandoned(_ amount: Int64, to node: NodeID) { takeGrantInFlight(amount, to: node) }

    private mutating func takeGrantInFlight(_ amount: Int64, to node: NodeID) {
        let reserved = grantsInFlight[node, default: 0]
        precondition(amount > 0 && amount <= reserved, "invariant: only a grant in flight is persisted or abandoned")
        grantsInFlight[node] = reserved == amount ? nil : reserved - amount
    }

    /// New knowledge about the sale's rights (config, gossip); the ledger only ever grows.
    public mutating func merge(_ other: RightsLedger) {
        ledger.merge(other)
        rightsHeld = ledger.rights(of: unit)
        reserveRoom(holding: holdings.count)
    }

    /// New terms from the config-center (title, window, limit).
    public mutating func update(terms: SaleTerms) {
        precondition(terms.id == self.terms.id)
        self.terms = terms
    }
}
