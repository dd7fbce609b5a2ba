// The custody rules one at a time: who serves and guards a buyer, the copy before the acknowledgement, the fence, and
// a retired unit's reconciliation. The seeded proof is `CustodySimulationTests`.

import FlashSaleCore
import Testing

@Suite("Custody of a region's buyers")
struct CustodyTests {
    let units: [NodeID] = ["eu-1", "eu-2", "eu-3"]

    var view: CustodyView { CustodyView(owners: units)! }

    /// A user that `owner` serves and `guardian` guards under `view`.
    func user(ownedBy owner: NodeID, guardedBy guardian: NodeID, in view: CustodyView) -> String {
        for index in 0..<10_000 where view.owner(of: "user-\(index)") == owner && view.guardian(of: "user-\(index)") == guardian {
            return "user-\(index)"
        }
        Issue.record("no user owned by \(owner) and guarded by \(guardian)")
        return "user-0"
    }

    func order(_ unit: NodeID, _ sequence: Int64, user: String, key: String? = nil) -> Order {
        Order(id: OrderID(unit: unit, milliseconds: 1_000, sequence: sequence), saleID: "s", userID: user, idempotencyKey: key)
    }

    @Test("a view: owners sorted, members less the retired, one unit retired at a time and never the last")
    func views() throws {
        let view = try #require(CustodyView(owners: ["b", "a", "c", "a"]))
        #expect(view.owners == ["a", "b", "c"])
        #expect(CustodyView(owners: ["a"], retired: ["b"]) == nil)
        #expect(CustodyView(owners: ["a", "b"], retired: ["a", "a"]) == nil)
        let next = try #require(view.retiring("b"))
        #expect(next.members == ["a", "c"] && next.number == 1)
        #expect(next.follows(view) && !view.follows(next))
        #expect(next.retiring("b") == nil)
        let last = try #require(next.retiring("a"))
        #expect(last.retiring("c") == nil, "a region keeps one owner")
        #expect(last.guardian(of: "anyone") == nil)
        // A buyer's guardian under a view is their owner once that owner is retired.
        for index in 0..<50 {
            let user = "user-\(index)"
            let owner = try #require(view.owner(of: user))
            #expect(view.retiring(owner)?.owner(of: user) == view.guardian(of: user))
        }
    }

    @Test("an order waits for its buyer's guardian to accept a copy; with one member left it waits for nothing")
    func acknowledgementWaitsForTheGuardian() throws {
        let buyer = user(ownedBy: "eu-1", guardedBy: "eu-2", in: view)
        var owner = Custody(unit: "eu-1", sale: "s", view: view)
        var guardian = Custody(unit: "eu-2", sale: "s", view: view)
        owner.recorded(order("eu-1", 1, user: buyer))
        #expect(!owner.isGuarded(buyer))
        let outbox = owner.outbox()
        #expect(outbox.count == 1 && outbox.first?.guardian == "eu-2")
        let message = try #require(outbox.first?.message)
        #expect(guardian.receive(message, from: "eu-1") == .accepted)
        #expect(guardian.heldElsewhere(by: buyer) == 1)
        owner.confirmed(message, by: "eu-2")
        #expect(owner.isGuarded(buyer) && owner.outbox().isEmpty)
        // A later order is not covered by the earlier copy.
        owner.recorded(order("eu-1", 2, user: buyer))
        #expect(!owner.isGuarded(buyer))
        owner.confirmed(message, by: "eu-2")
        #expect(!owner.isGuarded(buyer))

        let alone = try #require(view.retiring("eu-2")?.retiring("eu-3"))
        var only = Custody(unit: "eu-1", sale: "s", view: alone)
        only.recorded(order("eu-1", 3, user: buyer))
        #expect(only.isGuarded(buyer) && only.outbox().isEmpty)
    }

    @Test("the fence: once the guardian has the view that retires the owner, it takes no copy from it and serves the buyer")
    func guardianFencesARetiredOwner() throws {
        let buyer = user(ownedBy: "eu-1", guardedBy: "eu-2", in: view)
        var owner = Custody(unit: "eu-1", sale: "s", view: view)
        var guardian = Custody(unit: "eu-2", sale: "s", view: view)
        owner.recorded(order("eu-1", 1, user: buyer, key: "k1"))
        let first = try #require(owner.outbox().first?.message)
        #expect(guardian.receive(first, from: "eu-1") == .accepted)
        owner.confirmed(first, by: "eu-2")
        // Counted at once, shown only once written.
        #expect(guardian.heldElsewhere(by: buyer) == 1 && guardian.copy(user: buyer, idempotencyKey: "k1") == nil)
        guardian.copiesWritten([OrderID(unit: "eu-1", milliseconds: 1_000, sequence: 1)])

        let retired = try #require(view.retiring("eu-1"))
        let adopted = guardian.adopt(retired)
        let wentBack = guardian.adopt(view)
        #expect(adopted && !wentBack, "a view never goes back")
        owner.recorded(order("eu-1", 2, user: buyer, key: "k2"))
        let late = try #require(owner.outbox().first?.message)
        #expect(guardian.receive(late, from: "eu-1") == .refused(.senderBehind(current: retired)))
        #expect(guardian.serves(buyer))
        #expect(guardian.heldElsewhere(by: buyer) == 1, "only the acknowledged order counts")
        #expect(guardian.copy(user: buyer, idempotencyKey: "k1")?.id == OrderID(unit: "eu-1", milliseconds: 1_000, sequence: 1))
        #expect(guardian.copy(user: buyer, idempotencyKey: "k2") == nil)
    }

    @Test("copies refused: a guardian behind the sender, a sender that does not own the buyer, another sale")
    func copiesRefused() throws {
        let buyer = user(ownedBy: "eu-1", guardedBy: "eu-2", in: view)
        var guardian = Custody(unit: "eu-2", sale: "s", view: view)
        let later = try #require(view.retiring("eu-3"))
        let ahead = CustodyMessage(sale: "s", view: later, buyers: [.init(user: buyer, version: 1, orders: [order("eu-1", 1, user: buyer)])])
        #expect(guardian.receive(ahead, from: "eu-1") == .refused(.guardianBehind))
        let forged = CustodyMessage(sale: "s", view: view, buyers: [.init(user: buyer, version: 1, orders: [order("eu-3", 1, user: buyer)])])
        #expect(guardian.receive(forged, from: "eu-3") == .refused(.notGuardian(user: buyer)))
        let mismatched = CustodyMessage(sale: "s", view: view, buyers: [.init(user: buyer, version: 1, orders: [order("eu-1", 1, user: "someone-else")])])
        #expect(guardian.receive(mismatched, from: "eu-1") == .refused(.notGuardian(user: buyer)))
        let otherSale = CustodyMessage(sale: "t", view: view, buyers: [])
        #expect(guardian.receive(otherSale, from: "eu-1") == .refused(.unknownSale))
        #expect(guardian.heldElsewhere(by: buyer) == 0)
    }

    @Test("after a view change a buyer whose guardian changed is owed a copy until the new guardian accepts it")
    func viewChangeOwesCopies() throws {
        let buyer = user(ownedBy: "eu-1", guardedBy: "eu-3", in: view)
        var owner = Custody(unit: "eu-1", sale: "s", view: view)
        owner.recorded(order("eu-1", 1, user: buyer))
        let first = try #require(owner.outbox().first?.message)
        owner.confirmed(first, by: "eu-3")
        #expect(owner.isCaughtUp && owner.isGuarded(buyer))

        let next = try #require(view.retiring("eu-3"))
        owner.adopt(next)
        #expect(owner.owedGuardians == ["eu-2"] && !owner.isGuarded(buyer))
        var newGuardian = Custody(unit: "eu-2", sale: "s", view: next)
        let catchUp = try #require(owner.outbox().first { $0.guardian == "eu-2" }?.message)
        #expect(newGuardian.receive(catchUp, from: "eu-1") == .accepted)
        owner.confirmed(catchUp, by: "eu-2")
        #expect(owner.isCaughtUp && owner.isGuarded(buyer))

        // A restart that had not caught up owes every buyer's copy again; one that had does not, though it still sends.
        let behind = Custody(unit: "eu-1", sale: "s", view: next, orders: [order("eu-1", 1, user: buyer)], caughtUp: false)
        #expect(behind.owedGuardians == ["eu-2"])
        let restarted = Custody(unit: "eu-1", sale: "s", view: next, orders: [order("eu-1", 1, user: buyer)])
        #expect(restarted.isCaughtUp && !restarted.isGuarded(buyer) && restarted.outbox().count == 1)
    }

    @Test("a retired unit asks the new owners about its reserved orders and cancels those nobody holds a copy of")
    func retiredUnitReconciles() throws {
        let buyer = user(ownedBy: "eu-1", guardedBy: "eu-2", in: view)
        let acknowledged = order("eu-1", 1, user: buyer)
        let unacknowledged = order("eu-1", 2, user: buyer)
        var guardian = Custody(unit: "eu-2", sale: "s", view: view)
        let copy = CustodyMessage(sale: "s", view: view, buyers: [.init(user: buyer, version: 1, orders: [acknowledged])])
        #expect(guardian.receive(copy, from: "eu-1") == .accepted)
        #expect(guardian.heldCopies(of: [acknowledged.id], from: "eu-1") == nil, "not while eu-1 may still send copies")

        let retired = try #require(view.retiring("eu-1"))
        guardian.adopt(retired)
        #expect(guardian.heldCopies(of: [acknowledged.id], from: "eu-1") == [], "not before the copy is written")
        guardian.copiesWritten([acknowledged.id])
        var old = Custody(unit: "eu-1", sale: "s", view: view, orders: [acknowledged, unacknowledged])
        #expect(old.reconciliation().isEmpty, "a member reconciles nothing")
        old.adopt(retired)
        let question = try #require(old.reconciliation().first)
        #expect(question.owner == "eu-2" && question.orders == [acknowledged.id, unacknowledged.id])
        let held = try #require(guardian.heldCopies(of: question.orders, from: "eu-1"))
        #expect(held == [acknowledged.id])
        #expect(old.reconciled(asked: question.orders, held: held) == [unacknowledged])
        var cancelled = unacknowledged
        cancelled.status = .cancelled
        old.recorded(cancelled)
        #expect(old.reconciliation().isEmpty, "the kept order is not asked about again")
        #expect(!old.serves(buyer) && old.outbox().isEmpty)
        // What a retired unit may still show its buyers: the orders the new owner holds copies of.
        #expect(old.mayShow(acknowledged) && !old.mayShow(unacknowledged))
    }

    @Test("a buyer's orders are not shown while one is being written, nor by a unit that does not serve them")
    func notShownWhileWrittenOrNotServed() throws {
        let buyer = user(ownedBy: "eu-1", guardedBy: "eu-2", in: view)
        var owner = Custody(unit: "eu-1", sale: "s", view: view)
        let first = order("eu-1", 1, user: buyer)
        owner.admitted(first)
        #expect(!owner.isGuarded(buyer), "in flight")
        owner.persisted(first)
        let copy = try #require(owner.outbox().first?.message)
        owner.confirmed(copy, by: "eu-2")
        #expect(owner.isGuarded(buyer) && owner.mayShow(first))
        let second = order("eu-1", 2, user: buyer)
        owner.admitted(second)
        #expect(!owner.isGuarded(buyer), "the first order is not shown while the second is written")
        owner.abandoned(second)
        #expect(owner.isGuarded(buyer))
        let guardian = Custody(unit: "eu-2", sale: "s", view: view)
        #expect(!guardian.isGuarded(buyer), "eu-2 does not serve this buyer")
    }
}
