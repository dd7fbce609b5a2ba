// The unit's part in the custody of its region's buyers, under the machine's one lock (`Custody`).

extension UnitMachine {
    /// Installs `view` for `saleID` (a sale the machine has): a unit that is one of the view's owners starts its
    /// custody with the orders it holds, the copies it wrote and whether it had caught up before it stopped; a unit
    /// that has one moves to `view` if it is later. A sale with one owner in the region has no custody (nobody can
    /// take over, and its purchases pay nothing for it); owners that differ from the custody's (the region's units
    /// changed before the sale opened, when the owners still follow them) start it again. Written first: the view is
    /// in the stored configuration, the copies and the flag in SQLite.
    public mutating func custody(sale saleID: String, view: CustodyView, copies: [Order], caughtUp: Bool, copiesLost: Bool = false) {
        guard let sale = sales[saleID] else { return }
        guard view.owners.count > 1, view.owners.contains(unit) else {
            withSale(saleID) { $0.custody = nil }
            return
        }
        if sale.custody == nil || sale.custody?.view.owners != view.owners {
            let custody = Custody(
                unit: unit, sale: saleID, view: view, orders: sale.book.heldOrders, copies: copies, caughtUp: caughtUp,
                copiesLost: copiesLost)
            withSale(saleID) { $0.custody = custody }
        } else {
            withSale(saleID) { $0.custody?.adopt(view) }
        }
        reserveCustody(sale: saleID)
    }

    /// Room in the sale's custody for every buyer its book can serve (`PurchaseBook.room`): custody keeps a few entries
    /// per buyer this unit serves, and grown by doubling they would rehash every buyer mid-sale.
    mutating func reserveCustody(sale saleID: String) {
        withSale(saleID) { sale in sale.custody?.reserve(buyers: sale.book.room) }
    }

    /// The order this unit made with `key` for `user`, when it serves them and may not show it yet (its copy is on the
    /// way to their guardian): a retry that can wait for it rather than hear `custody-pending` at once.
    public func unguardedReplay(sale saleID: String, user: String, idempotencyKey key: String) -> Order? {
        guard let custody = sales[saleID]?.custody, custody.serves(user), !custody.isGuarded(user),
            case .replay(let order) = keys.lookup(user: user, key: key, sale: saleID)
        else { return nil }
        return order
    }

    /// Whether `order`'s buyer may hear of it: their guardian holds a copy of all their orders, or there is none.
    public func isGuarded(_ order: Order) -> Bool {
        sales[order.saleID]?.custody?.isGuarded(order.userID) ?? true
    }

    /// The copies to send now, by sale and guardian (`Custody.outbox`).
    public func custodyOutbox() -> [(guardian: NodeID, message: CustodyMessage)] {
        sales.keys.sorted().flatMap { sales[$0]?.custody?.outbox() ?? [] }
    }

    /// The node wrote the copies of `orders` it accepted for `saleID` (`Custody.copiesWritten`).
    public mutating func copiesWritten(sale saleID: String, orders: [OrderID]) {
        withSale(saleID) { $0.custody?.copiesWritten(orders) }
    }

    /// Whether `order`, held here, may be shown to its buyer (`Custody.mayShow`); always without custody.
    public func mayShow(_ order: Order) -> Bool { sales[order.saleID]?.custody?.mayShow(order) ?? true }

    /// `guardian` accepted `message`.
    public mutating func custodyConfirmed(_ message: CustodyMessage, by guardian: NodeID) {
        withSale(message.sale) { $0.custody?.confirmed(message, by: guardian) }
    }

    /// A copy from `sender`, decided under this unit's view (`Custody.receive`). Accepted copies count at once; the
    /// node writes them before it answers.
    public mutating func receiveCopy(_ message: CustodyMessage, from sender: NodeID) -> CustodyVerdict {
        withSale(message.sale) { $0.custody?.receive(message, from: sender) ?? .refused(.unknownSale) } ?? .refused(.unknownSale)
    }

    /// Of `orders` held by the retired `holder`, those this unit holds copies of; nil while `holder` is not retired
    /// in this unit's view of `saleID` (`Custody.heldCopies`).
    public func heldCopies(sale saleID: String, of orders: [OrderID], from holder: NodeID) -> [OrderID]? {
        sales[saleID]?.custody?.heldCopies(of: orders, from: holder)
    }

    /// A retired unit's questions: per sale, its reserved orders by the unit that now serves their buyer.
    public func custodyQuestions() -> [(sale: String, owner: NodeID, orders: [OrderID])] {
        sales.keys.sorted().flatMap { sale in
            (sales[sale]?.custody?.reconciliation() ?? []).map { (sale, $0.owner, $0.orders) }
        }
    }

    /// The answer to a question: the orders to cancel (`Custody.reconciled`).
    public mutating func reconciled(sale saleID: String, asked: [OrderID], held: [OrderID]) -> [Order] {
        withSale(saleID) { $0.custody?.reconciled(asked: asked, held: held) ?? [] } ?? []
    }

    /// Per sale with custody: the view's number, the guardians still owed a copy, and whether this unit lost the
    /// copies it kept.
    public var custodyStatus: [String: (view: Int, owed: Set<NodeID>, copiesLost: Bool)] {
        sales.compactMapValues { sale in sale.custody.map { ($0.view.number, $0.owedGuardians, $0.copiesLost) } }
    }

    /// The view of `saleID`, when this unit keeps custody of it.
    public func custodyView(sale saleID: String) -> CustodyView? { sales[saleID]?.custody?.view }
}
