// One unit's part in keeping a sale's per-user limit when a unit of its region goes down for good.

/// What one unit knows and decides about the custody of one sale's buyers in its region (ARCHITECTURE, "Takeover
/// of a down unit's buyers"): the view it is at, the orders it holds, the copies it keeps of orders other units hold,
/// and which of its buyers' orders their guardian does not hold yet. Pure and deterministic: the node and the
/// simulation drive the same type.
///
/// The rules, each a function here:
/// - An owner acknowledges a buyer's order only once the buyer's guardian has accepted a copy of all their orders
///   (`isGuarded`, `outbox`, `confirmed`). With one member left there is no guardian and no copy to wait for.
/// - A guardian accepts a copy only under its own view, from the buyer's owner under that view (`receive`). Adopting
///   the next view happens under the same lock as that check, so once a guardian has adopted a view that retires
///   the owner it takes nothing more from it: every order the retired owner ever acknowledged is among its copies
///   when it starts serving the buyer, and none can be acknowledged after. No clock is involved.
/// - After a view change a buyer whose guardian changed is unguarded until the new guardian has accepted a copy
///   (`adopt`), and the unit reports the guardians it still owes a copy (`owedGuardians`): the config-center
///   retires another unit only once every member owes nothing but to that unit.
/// - A retired unit asks each buyer's new owner which of its reserved orders it holds a copy of (`reconciliation`,
///   `heldCopies`); the others were never acknowledged, and are cancelled (`reconciled`).
///
/// Copies are of orders that hold stock; a copy is never removed, only moved on to paid or returned by a later copy.
/// A cancellation or an expiry at a unit that is later retired therefore still counts against the buyer at the new
/// owner: the limit errs on the side of refusing.
public struct Custody: Sendable {
    public let unit: NodeID
    public let sale: String
    public private(set) var view: CustodyView
    /// This unit started on a new database after the sale opened: the copies it kept are gone (reported, so the
    /// config-center retires nobody whose buyers it guards, `RetirementRule`).
    public let copiesLost: Bool
    /// Orders this unit holds that hold stock, by user.
    private var here: [String: [Order]] = [:]
    /// Copies of orders other units hold, by user and order id.
    private var elsewhere: [String: [OrderID: Order]] = [:]
    /// Per user, a count of the changes to what the guardian must hold, and how far the guardian has confirmed it.
    private var version: [String: Int64] = [:]
    private var guarded: [String: Int64] = [:]
    /// Buyers whose guardian may lack an order already acknowledged (after a view change, or a restart before the
    /// unit had caught up), with the version the guardian must confirm: what the config-center waits for.
    private var owed: [String: Int64] = [:]
    /// Buyers whose guardian has not confirmed their latest version: the outbox, without scanning every buyer.
    private var dirty: Set<String> = []
    /// Orders admitted here and not yet written, by user: while one is, the buyer's orders are not shown.
    private var inFlight: [String: Int] = [:]
    /// Copies accepted and not yet written (by order id, with their user), and how many per user: not shown, not
    /// told to a retired unit, until the node has written them (`copiesWritten`).
    private var unwritten: [OrderID: String] = [:]
    private var unwrittenByUser: [String: Int] = [:]
    /// A retired unit's reserved orders that their buyer's new owner holds a copy of: acknowledged, or as good as.
    private var kept: Set<OrderID> = []

    /// Buyers per message at most: a catch-up after a view change sends every buyer the unit knows, in several.
    public static let maxBuyersPerMessage = 256

    /// A unit starting (or restarting) at `view` with the orders it holds and the copies it kept: nothing is known
    /// to be guarded, so every buyer of its own is sent to their guardian again before anything is acknowledged.
    /// `caughtUp` says whether the unit had caught up at `view` before it stopped (`isCaughtUp`, written by the
    /// node): if not, its guardians may lack acknowledged orders, and it owes them copies.
    public init(
        unit: NodeID, sale: String, view: CustodyView, orders: [Order] = [], copies: [Order] = [], caughtUp: Bool = true,
        copiesLost: Bool = false
    ) {
        self.unit = unit
        self.sale = sale
        self.view = view
        self.copiesLost = copiesLost
        for order in orders where order.saleID == sale && order.status.holdsStock {
            here[order.userID, default: []].append(order)
        }
        for copy in copies where copy.saleID == sale { merge(copy) }
        for user in Set(here.keys).union(elsewhere.keys) {
            version[user] = 1
            if serves(user) && view.guardian(of: user) != nil { dirty.insert(user) }
            if !caughtUp { owed[user] = 1 }
        }
    }

    /// Makes room for `buyers` of this unit in the tables that hold one entry per buyer it serves, as the sale's book
    /// does (`PurchaseBook.room`): growing, they would double and rehash every buyer under the machine's lock.
    public mutating func reserve(buyers: Int) {
        if buyers > here.capacity { here.reserveCapacity(buyers) }
        if buyers > version.capacity { version.reserveCapacity(buyers) }
        if buyers > guarded.capacity { guarded.reserveCapacity(buyers) }
    }

    /// Buyers the per-buyer tables have room for without growing (tests).
    var buyerCapacity: Int { min(here.capacity, version.capacity, guarded.capacity) }

    // MARK: Serving buyers

    /// Whether this unit serves `user` under its view.
    public func serves(_ user: String) -> Bool { view.owner(of: user) == unit }

    /// Orders of `user` that hold stock at other units, as far as this unit holds copies: they count against the
    /// buyer's limit here.
    public func heldElsewhere(by user: String) -> Int { copies(of: user).count }

    /// The copies of `user`'s orders at other units that hold stock, oldest first.
    public func copies(of user: String) -> [Order] {
        guard let known = elsewhere[user] else { return [] }
        return known.values.filter(\.status.holdsStock).sorted { $0.id < $1.id }
    }

    /// The order another unit made with `key` for `user`, when this unit holds its copy on disk: a retry after a
    /// takeover gets the order its first attempt made.
    public func copy(user: String, idempotencyKey key: String) -> Order? {
        elsewhere[user]?.values.first { $0.idempotencyKey == key && unwritten[$0.id] == nil }
    }

    /// `order` was admitted here and is being written: until it is, none of its buyer's orders is shown.
    public mutating func admitted(_ order: Order) {
        guard order.saleID == sale else { return }
        inFlight[order.userID, default: 0] += 1
    }

    /// `order`, admitted, is written: it must reach the buyer's guardian before it is acknowledged.
    public mutating func persisted(_ order: Order) {
        leaveFlight(order)
        recorded(order)
    }

    /// `order`, admitted, could not be written.
    public mutating func abandoned(_ order: Order) { leaveFlight(order) }

    private mutating func leaveFlight(_ order: Order) {
        guard order.saleID == sale, let count = inFlight[order.userID] else { return }
        inFlight[order.userID] = count > 1 ? count - 1 : nil
    }

    /// `order`, held here, was written (new, paid, cancelled or expired): a new or changed order that holds stock
    /// must reach the buyer's guardian before it is acknowledged.
    public mutating func recorded(_ order: Order) {
        guard order.saleID == sale else { return }
        var orders = here[order.userID] ?? []
        orders.removeAll { $0.id == order.id }
        if order.status.holdsStock {
            orders.append(order)
            version[order.userID, default: 0] += 1
            if view.guardian(of: order.userID) != nil { dirty.insert(order.userID) }
        }
        here[order.userID] = orders.isEmpty ? nil : orders
    }

    /// Whether `user`'s orders here may be shown to them (a 201, a replay, the order an `already-bought` names): this
    /// unit serves them, none of their orders or copies here is still being written, and their guardian holds a copy
    /// of all of them (or there is none).
    public func isGuarded(_ user: String) -> Bool {
        guard serves(user), inFlight[user] == nil, unwrittenByUser[user] == nil else { return false }
        guard view.guardian(of: user) != nil else { return true }
        return guarded[user, default: 0] >= version[user, default: 0]
    }

    /// Whether `order`, held here, may be shown to its buyer (looked up, paid): as `isGuarded` while this unit is a
    /// member; once it is retired, only orders the new owner said it holds copies of (`reconciled`).
    public func mayShow(_ order: Order) -> Bool {
        view.retired.contains(unit) ? kept.contains(order.id) : isGuarded(order.userID)
    }

    // MARK: Copies to guardians

    /// The messages to send now: the buyers this unit serves whose guardian does not hold all their orders yet, by
    /// guardian, at most `maxBuyersPerMessage` buyers each. Empty for a unit that is no member.
    public func outbox() -> [(guardian: NodeID, message: CustodyMessage)] {
        guard view.isMember(unit) else { return [] }
        var byGuardian: [NodeID: [CustodyMessage.Buyer]] = [:]
        for user in dirty where serves(user) {
            guard let guardian = view.guardian(of: user), let changes = version[user] else { continue }
            byGuardian[guardian, default: []].append(CustodyMessage.Buyer(user: user, version: changes, orders: orders(of: user)))
        }
        var messages: [(NodeID, CustodyMessage)] = []
        for guardian in byGuardian.keys.sorted() {
            let buyers = byGuardian[guardian, default: []].sorted { $0.user < $1.user }
            for start in stride(from: 0, to: buyers.count, by: Self.maxBuyersPerMessage) {
                let slice = Array(buyers[start..<min(start + Self.maxBuyersPerMessage, buyers.count)])
                messages.append((guardian, CustodyMessage(sale: sale, view: view, buyers: slice)))
            }
        }
        return messages
    }

    /// `guardian` accepted `message`: its buyers are guarded up to the versions it carried, if the view is still the
    /// one it was sent under and `guardian` still guards them.
    public mutating func confirmed(_ message: CustodyMessage, by guardian: NodeID) {
        guard message.view == view else { return }
        for buyer in message.buyers where view.guardian(of: buyer.user) == guardian {
            guarded[buyer.user] = max(guarded[buyer.user, default: 0], buyer.version)
            if guarded[buyer.user, default: 0] >= version[buyer.user, default: 0] { dirty.remove(buyer.user) }
            if let needed = owed[buyer.user], buyer.version >= needed { owed[buyer.user] = nil }
        }
    }

    /// The guardians that may lack an order this unit acknowledged, for its report to the config-center: it retires
    /// no unit while another owes a copy to anyone but that unit. Orders not yet acknowledged do not count: a buyer
    /// never told of one buys again at the successor, and the order is cancelled (`reconciled`).
    public var owedGuardians: Set<NodeID> {
        guard view.isMember(unit) else { return [] }
        var pending: Set<NodeID> = []
        for user in owed.keys where serves(user) {
            if let guardian = view.guardian(of: user) { pending.insert(guardian) }
        }
        return pending
    }

    /// Whether every guardian holds every order this unit acknowledged: the node writes it down with the view, so a
    /// restart knows whether it owes copies (`init`).
    public var isCaughtUp: Bool { owedGuardians.isEmpty }

    /// Every order of `user` this unit knows that holds stock: its own and its copies.
    private func orders(of user: String) -> [Order] {
        (here[user] ?? []) + copies(of: user)
    }

    // MARK: Guarding

    /// `sender`'s message, decided under this unit's view. Accepted copies count at once (before the node has
    /// written them: counting early only refuses more); the node answers `.accepted` once they are durable.
    public mutating func receive(_ message: CustodyMessage, from sender: NodeID) -> CustodyVerdict {
        guard message.sale == sale else { return .refused(.unknownSale) }
        if message.view.number > view.number { return .refused(.guardianBehind) }
        guard message.view == view else { return .refused(.senderBehind(current: view)) }
        for buyer in message.buyers {
            guard view.owner(of: buyer.user) == sender, view.guardian(of: buyer.user) == unit,
                buyer.orders.allSatisfy({ $0.userID == buyer.user && $0.saleID == sale && $0.id.unit != unit })
            else { return .refused(.notGuardian(user: buyer.user)) }
        }
        for buyer in message.buyers {
            for order in buyer.orders where order.status.holdsStock {
                merge(order)
                if unwritten.updateValue(buyer.user, forKey: order.id) == nil { unwrittenByUser[buyer.user, default: 0] += 1 }
            }
        }
        return .accepted
    }

    /// The node wrote the accepted copies `orders`: they may be shown and told from now on.
    public mutating func copiesWritten(_ orders: [OrderID]) {
        for id in orders {
            guard let user = unwritten.removeValue(forKey: id), let count = unwrittenByUser[user] else { continue }
            unwrittenByUser[user] = count > 1 ? count - 1 : nil
        }
    }

    /// Keeps `copy`, moving a known copy on only: reserved to paid, or to returned, never back.
    private mutating func merge(_ copy: Order) {
        if let known = elsewhere[copy.userID]?[copy.id], known.status != .reserved { return }
        elsewhere[copy.userID, default: [:]][copy.id] = copy
    }

    // MARK: Views

    /// Moves to `next`, a later view of the same chain (an earlier or foreign one changes nothing and returns
    /// false). Buyers whose guardian changed, or whom this unit now serves, are unguarded until their new guardian
    /// accepts a copy.
    @discardableResult
    public mutating func adopt(_ next: CustodyView) -> Bool {
        guard next.number > view.number, next.follows(view) else { return false }
        let previous = view
        view = next
        for user in Set(here.keys).union(elsewhere.keys) {
            let servedBefore = previous.owner(of: user) == unit
            if previous.guardian(of: user) != next.guardian(of: user) || servedBefore != serves(user) {
                version[user, default: 0] += 1
                owed[user] = version[user]
            }
            // With no guardian (one member left) nothing is owed a copy: the outbox never needs the buyer again.
            if serves(user) && next.guardian(of: user) != nil && guarded[user, default: 0] < version[user, default: 0] {
                dirty.insert(user)
            } else {
                dirty.remove(user)
            }
        }
        return true
    }

    // MARK: A retired unit's orders

    /// For a retired unit: its reserved orders, by the unit that now serves their buyer, to ask which it holds a
    /// copy of. Empty while the unit is a member.
    public func reconciliation() -> [(owner: NodeID, orders: [OrderID])] {
        guard view.retired.contains(unit) else { return [] }
        var byOwner: [NodeID: [OrderID]] = [:]
        for (user, orders) in here {
            guard let owner = view.owner(of: user) else { continue }
            byOwner[owner, default: []] += orders.filter { $0.status == .reserved && !kept.contains($0.id) }.map(\.id)
        }
        return byOwner.keys.sorted().compactMap { owner in
            byOwner[owner].flatMap { $0.isEmpty ? nil : (owner, $0.sorted()) }
        }
    }

    /// Of `orders`, held by `holder`, those this unit holds a copy of; nil while `holder` is not retired in this
    /// unit's view (this unit may still accept its copies, so the answer could change).
    public func heldCopies(of orders: [OrderID], from holder: NodeID) -> [OrderID]? {
        guard view.retired.contains(holder) else { return nil }
        let asked = Set(orders)
        var held: [OrderID] = []
        for copies in elsewhere.values {
            for id in copies.keys where asked.contains(id) && id.unit == holder && unwritten[id] == nil { held.append(id) }
        }
        return held.sorted()
    }

    /// For a retired unit, after an owner answered `held` to the question about `asked`: the reserved orders to
    /// cancel, those no guardian holds a copy of (their buyers were never told of them). The others are kept and
    /// asked about no more.
    public mutating func reconciled(asked: [OrderID], held: [OrderID]) -> [Order] {
        guard view.retired.contains(unit) else { return [] }
        let askedSet = Set(asked)
        kept.formUnion(askedSet.intersection(held))
        return here.values.flatMap { $0 }.filter { askedSet.contains($0.id) && !kept.contains($0.id) && $0.status == .reserved }
            .sorted { $0.id < $1.id }
    }
}
