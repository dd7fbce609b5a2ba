// One unit of the custody simulation: the core's `Custody` over a simulated disk that survives crashes.

import FlashSaleCore

/// A unit as the custody proof needs it: the orders it wrote and the copies it accepted (on its disk, kept across a
/// crash), the view it last adopted, and in memory the `Custody` the node would run and the buyers waiting for
/// their acknowledgement (lost at a crash: those buyers try again with the same key). Stock is left out: a takeover
/// moves no stock, and every unit here has as much as its buyers want.
struct CustodySimUnit {
    let id: NodeID
    let sale: String
    let limit: Int
    private(set) var isUp = true
    private(set) var diskOrders: [OrderID: Order] = [:] {
        didSet { ordersByUser = Dictionary(grouping: diskOrders.values, by: \.userID) }
    }
    /// `diskOrders` by user, rebuilt on each write (the run looks up far more than it writes).
    private var ordersByUser: [String: [Order]] = [:]
    private(set) var diskCopies: [OrderID: Order] = [:]
    private(set) var diskView: CustodyView
    /// Whether the unit had caught up at `diskView` (written whenever it has).
    private(set) var diskCaughtUp = true
    private(set) var custody: Custody
    /// Orders written and not yet acknowledged, with the buyer waiting for each.
    private(set) var waiting: [(user: String, key: String, order: Order)] = []
    private var sequence: Int64 = 0
    /// Mutation checks: `waitsForGuardian` off acknowledges at once; `writesCopies` off keeps accepted copies in
    /// memory only, so a guardian's crash forgets them.
    let waitsForGuardian: Bool
    let writesCopies: Bool

    init(id: NodeID, sale: String, limit: Int, view: CustodyView, waitsForGuardian: Bool, writesCopies: Bool) {
        self.id = id
        self.sale = sale
        self.limit = limit
        self.diskView = view
        self.custody = Custody(unit: id, sale: sale, view: view)
        self.waitsForGuardian = waitsForGuardian
        self.writesCopies = writesCopies
    }

    /// What a purchase gets here at once.
    enum Answer: Equatable {
        /// Another unit serves this buyer (or this one is down): try the owner.
        case wrongUnit
        case limitReached
        /// An order is written (or known) and waits for its guardian: the answer comes later.
        case waiting
        /// Acknowledged now: a replay of an order this unit holds or holds a copy of.
        case acknowledged(Order)
    }

    mutating func purchase(user: String, key: String, nowTick: Int) -> Answer {
        guard custody.serves(user) else { return .wrongUnit }
        let orders = ordersByUser[user] ?? []
        if let order = orders.first(where: { $0.idempotencyKey == key }) {
            if order.status != .reserved && order.status != .paid { return .limitReached }
            if isAcknowledgeable(user) { return .acknowledged(order) }
            if !waiting.contains(where: { $0.order.id == order.id }) { waiting.append((user, key, order)) }
            return .waiting
        }
        if let copy = custody.copy(user: user, idempotencyKey: key) { return .acknowledged(copy) }
        let holding = orders.filter(\.status.holdsStock).count
        guard holding + custody.heldElsewhere(by: user) < limit else { return .limitReached }
        sequence += 1
        let order = Order(
            id: OrderID(unit: id, milliseconds: Int64(nowTick), sequence: sequence), saleID: sale, userID: user,
            idempotencyKey: key)
        diskOrders[order.id] = order
        custody.recorded(order)
        waiting.append((user, key, order))
        return .waiting
    }

    private func isAcknowledgeable(_ user: String) -> Bool { !waitsForGuardian || custody.isGuarded(user) }

    /// The waiting buyers whose orders may now be acknowledged; they leave the list.
    mutating func acknowledgements() -> [(user: String, key: String, order: Order)] {
        let ready = waiting.filter { isAcknowledgeable($0.user) && custody.serves($0.user) }
        waiting.removeAll { entry in ready.contains { $0.order.id == entry.order.id } }
        return ready
    }

    /// A copy from `sender`: accepted ones are written before the answer (unless the mutation says otherwise).
    mutating func receive(_ message: CustodyMessage, from sender: NodeID) -> CustodyVerdict {
        let verdict = custody.receive(message, from: sender)
        guard verdict == .accepted else { return verdict }
        let accepted = message.buyers.flatMap { $0.orders.filter(\.status.holdsStock) }
        if writesCopies {
            for order in accepted {
                if let known = diskCopies[order.id], known.status != .reserved { continue }
                diskCopies[order.id] = order
            }
        }
        // The mutation says "written" all the same.
        custody.copiesWritten(accepted.map(\.id))
        return verdict
    }

    mutating func confirmed(_ message: CustodyMessage, by guardian: NodeID) {
        custody.confirmed(message, by: guardian)
        if custody.isCaughtUp { diskCaughtUp = true }
    }

    /// The config-center's view, written before it is used.
    mutating func adopt(_ view: CustodyView) {
        if custody.adopt(view) {
            diskView = view
            diskCaughtUp = custody.isCaughtUp
        }
    }

    /// A retired unit cancels the orders of `asked` the new owner holds no copy of. Returns them.
    mutating func reconcile(asked: [OrderID], held: [OrderID]) -> [Order] {
        let cancelled = custody.reconciled(asked: asked, held: held)
        for var order in cancelled {
            order.status = .cancelled
            diskOrders[order.id] = order
            custody.recorded(order)
        }
        waiting.removeAll { entry in cancelled.contains { $0.id == entry.order.id } }
        return cancelled
    }

    mutating func crash() {
        isUp = false
        waiting = []
    }

    /// Back from its disk: the custody rebuilt from the orders and copies written, every buyer unguarded again.
    mutating func restart() {
        isUp = true
        custody = Custody(
            unit: id, sale: sale, view: diskView, orders: Array(diskOrders.values), copies: Array(diskCopies.values),
            caughtUp: diskCaughtUp)
        if let last = diskOrders.keys.max() { sequence = max(sequence, last.sequence) }
    }
}
