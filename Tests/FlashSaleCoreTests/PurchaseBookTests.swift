// PurchaseBook: admission, holds in flight, commits into the ledger, abandoned writes and gossip merges.

import FlashSaleCore
import Testing
import TestSupport

@Suite("PurchaseBook")
struct PurchaseBookTests {
    static let unit: NodeID = "u-1"

    static func terms(limit: Int = 1) -> SaleTerms {
        SaleTerms(id: "sale-1", title: "Sale", startsAtMs: 0, endsAtMs: 10_000, perUserLimit: limit)
    }

    /// A book for `u-1` holding `rights` granted by the center (which minted 100).
    static func book(rights: Int64, limit: Int = 1, holding orders: [Order] = []) throws -> PurchaseBook {
        let ledger = rights > 0 ? try Fixture.ledger(minted: 100, grants: [unit: rights]) : try Fixture.ledger(minted: 100)
        return PurchaseBook(unit: unit, terms: terms(limit: limit), ledger: ledger, holding: orders)
    }

    final class Orders {
        var sequence = OrderIDSequence(unit: PurchaseBookTests.unit)
        func make(_ user: String, status: OrderStatus = .reserved) -> Order {
            Order(id: sequence.next(nowMs: 1_000), saleID: "sale-1", userID: user, status: status)
        }
    }

    @Test("a new book offers the unit's rights")
    func initial() throws {
        let book = try Self.book(rights: 3)
        #expect(book.available == 3)
        #expect(book.inFlight == 0)
        #expect(book.ordersHeld == 0)
        #expect(book.buyerCount == 0)
        #expect(book.admission(for: "alice") == .admit)
        #expect(book.orders(of: "alice").isEmpty)
    }

    @Test("a unit without rights is sold out")
    func soldOutWithoutRights() throws {
        let book = try Self.book(rights: 0)
        #expect(book.available == 0)
        #expect(book.admission(for: "alice") == .soldOut)
    }

    @Test("holding reserves one unit in flight and the user's slot")
    func hold() throws {
        let orders = Orders()
        var book = try Self.book(rights: 3)
        let order = orders.make("alice")
        #expect(book.admission(for: "alice") == .admit)
        book.hold(order)
        #expect(book.available == 2)
        #expect(book.inFlight == 1)
        #expect(book.ordersHeld == 1)
        #expect(book.buyerCount == 1)
        #expect(book.orders(of: "alice") == [order])
        #expect(book.admission(for: "alice") == .limitReached(existing: order))
        #expect(book.admission(for: "bob") == .admit)
        // Nothing is in the ledger until the write commits.
        #expect(book.ledger.row(Self.unit).consumed == 0)
        #expect(book.ledger.rights(of: Self.unit) == 3)
    }

    @Test("holding the last unit sells out, but a user at the limit is told about the limit first")
    func holdToSoldOut() throws {
        let orders = Orders()
        var book = try Self.book(rights: 2)
        let a = orders.make("alice")
        let b = orders.make("bob")
        book.hold(a)
        book.hold(b)
        #expect(book.available == 0)
        #expect(book.admission(for: "carol") == .soldOut)
        #expect(book.admission(for: "alice") == .limitReached(existing: a))
        #expect(book.admission(for: "bob") == .limitReached(existing: b))
    }

    @Test("committed orders leave the in-flight count and enter the ledger as consumed")
    func committed() throws {
        let orders = Orders()
        var book = try Self.book(rights: 5)
        for user in ["alice", "bob", "carol"] { book.hold(orders.make(user)) }
        #expect(book.available == 2)
        book.committed(count: 2)
        #expect(book.inFlight == 1)
        #expect(book.available == 2)
        #expect(book.ordersHeld == 3)
        #expect(book.ledger.row(Self.unit).consumed == 2)
        #expect(book.ledger.rights(of: Self.unit) == 3)
        book.committed(count: 1)
        #expect(book.inFlight == 0)
        #expect(book.available == 2)
        #expect(book.ledger.row(Self.unit).consumed == 3)
        #expect(book.ledger.rights(of: Self.unit) == 2)
        // Committed orders still hold their users' slots.
        #expect(book.admission(for: "alice") != .admit)
        #expect(book.buyerCount == 3)
    }

    @Test("committing nothing changes nothing")
    func committedZero() throws {
        let orders = Orders()
        var book = try Self.book(rights: 5)
        book.hold(orders.make("alice"))
        let ledger = book.ledger
        book.committed(count: 0)
        #expect(book.inFlight == 1)
        #expect(book.available == 4)
        #expect(book.ledger == ledger)
    }

    @Test("an abandoned order gives back its unit and the user's slot")
    func abandoned() throws {
        let orders = Orders()
        var book = try Self.book(rights: 1)
        let order = orders.make("alice")
        book.hold(order)
        #expect(book.admission(for: "bob") == .soldOut)
        book.abandoned(order)
        #expect(book.available == 1)
        #expect(book.inFlight == 0)
        #expect(book.ordersHeld == 0)
        #expect(book.buyerCount == 0)
        #expect(book.orders(of: "alice").isEmpty)
        #expect(book.admission(for: "alice") == .admit)
        #expect(book.admission(for: "bob") == .admit)
        #expect(book.ledger.row(Self.unit).consumed == 0)
    }

    @Test("abandoning one of a user's orders keeps the others")
    func abandonedOneOfMany() throws {
        let orders = Orders()
        var book = try Self.book(rights: 10, limit: 3)
        let first = orders.make("alice")
        let second = orders.make("alice")
        let third = orders.make("alice")
        book.hold(first)
        book.hold(second)
        book.hold(third)
        #expect(book.admission(for: "alice") == .limitReached(existing: first))
        book.abandoned(second)
        #expect(book.orders(of: "alice") == [first, third])
        #expect(book.admission(for: "alice") == .admit)
        #expect(book.available == 8)
        book.abandoned(first)
        #expect(book.orders(of: "alice") == [third])
        book.hold(orders.make("alice"))
        book.hold(orders.make("alice"))
        #expect(book.admission(for: "alice") == .limitReached(existing: third))
    }

    @Test("a per-user limit above one admits up to the limit, then reports the first order")
    func perUserLimit() throws {
        let orders = Orders()
        var book = try Self.book(rights: 10, limit: 3)
        var held: [Order] = []
        for _ in 0..<3 {
            #expect(book.admission(for: "alice") == .admit)
            let order = orders.make("alice")
            book.hold(order)
            held.append(order)
        }
        #expect(book.admission(for: "alice") == .limitReached(existing: held[0]))
        #expect(book.orders(of: "alice") == held)
        #expect(book.buyerCount == 1)
        #expect(book.available == 7)
        book.committed(count: 3)
        #expect(book.admission(for: "alice") == .limitReached(existing: held[0]))
    }

    @Test("new terms change the limit")
    func updateTerms() throws {
        let orders = Orders()
        var book = try Self.book(rights: 10, limit: 1)
        let order = orders.make("alice")
        book.hold(order)
        #expect(book.admission(for: "alice") == .limitReached(existing: order))
        book.update(terms: Self.terms(limit: 2))
        #expect(book.terms.perUserLimit == 2)
        #expect(book.admission(for: "alice") == .admit)
        book.update(terms: Self.terms(limit: 1))
        #expect(book.admission(for: "alice") == .limitReached(existing: order))
    }

    @Test("merging a ledger that grants more rights raises what is available")
    func mergeMoreRights() throws {
        let orders = Orders()
        var center = try Fixture.ledger(minted: 100, grants: [Self.unit: 1])
        var book = PurchaseBook(unit: Self.unit, terms: Self.terms(), ledger: center, holding: [])
        book.hold(orders.make("alice"))
        #expect(book.admission(for: "bob") == .soldOut)
        try center.grant(4, from: .center, to: Self.unit)
        book.merge(center)
        #expect(book.available == 4)
        #expect(book.inFlight == 1)
        #expect(book.admission(for: "bob") == .admit)
        #expect(book.ledger.received(by: Self.unit) == 5)
    }

    @Test("merging a peer's grant counts too; merging stale knowledge lowers nothing")
    func mergePeerAndStale() throws {
        let orders = Orders()
        var ledger = try Fixture.ledger(minted: 100, grants: [Self.unit: 2, "u-2": 10])
        let stale = ledger
        var book = PurchaseBook(unit: Self.unit, terms: Self.terms(), ledger: ledger, holding: [])
        book.hold(orders.make("alice"))
        book.committed(count: 1)
        // u-2 gives 3 of its rights to u-1.
        try ledger.grant(3, from: "u-2", to: Self.unit)
        book.merge(ledger)
        #expect(book.available == 4)
        book.merge(stale)
        #expect(book.available == 4)
        #expect(book.ledger.row(Self.unit).consumed == 1)
    }

    @Test("a book rebuilt from stored orders counts only those that hold stock")
    func rebuiltFromOrders() throws {
        let orders = Orders()
        let reserved = orders.make("alice", status: .reserved)
        let paid = orders.make("alice", status: .paid)
        let expired = orders.make("bob", status: .expired)
        let cancelled = orders.make("carol", status: .cancelled)
        var ledger = try Fixture.ledger(minted: 100, grants: [Self.unit: 10])
        try ledger.consume(4, at: Self.unit)
        try ledger.release(2, at: Self.unit)
        let book = PurchaseBook(
            unit: Self.unit, terms: Self.terms(limit: 2), ledger: ledger, holding: [reserved, paid, expired, cancelled])
        #expect(book.buyerCount == 1)
        #expect(book.orders(of: "alice") == [reserved, paid])
        #expect(book.admission(for: "alice") == .limitReached(existing: reserved))
        #expect(book.admission(for: "bob") == .admit)
        #expect(book.admission(for: "carol") == .admit)
        #expect(book.available == 8)
        #expect(book.ordersHeld == 2)
    }

    @Test("random holds, commits, abandons, grants in and grants out never promise more than the unit's rights")
    func randomNeverOversells() throws {
        for seed in UInt64(1)...100 {
            var rng = SplitMix64(seed: seed)
            let orders = Orders()
            var center = try Fixture.ledger(minted: 1_000, grants: [Self.unit: rng.int64(1...5)])
            let limit = rng.int(1...3)
            var book = PurchaseBook(unit: Self.unit, terms: Self.terms(limit: limit), ledger: center, holding: [])
            var inFlight: [Order] = []
            var committedCount: Int64 = 0
            var perUser: [String: Int] = [:]
            var grantsInFlight: [(Int64, Int64)] = []
            var given: Int64 = 0
            for step in 0..<150 {
                let at = "seed \(seed) step \(step)"
                switch rng.int(0...9) {
                case 0...4:
                    let user = "user-\(rng.int(0...8))"
                    let verdict = book.admission(for: user)
                    if (perUser[user] ?? 0) >= limit {
                        #expect(verdict == .limitReached(existing: book.orders(of: user)[0]), "\(at)")
                    } else if book.available <= 0 {
                        #expect(verdict == .soldOut, "\(at)")
                    } else {
                        #expect(verdict == .admit, "\(at)")
                    }
                    if verdict == .admit {
                        let order = orders.make(user)
                        book.hold(order)
                        inFlight.append(order)
                        perUser[user, default: 0] += 1
                    }
                case 5...6 where !inFlight.isEmpty:
                    let count = rng.int(1...inFlight.count)
                    inFlight.removeFirst(count)
                    book.committed(count: Int64(count))
                    committedCount += Int64(count)
                case 7 where !inFlight.isEmpty:
                    let order = inFlight.remove(at: rng.int(0...(inFlight.count - 1)))
                    book.abandoned(order)
                    perUser[order.userID]! -= 1
                case 8:
                    if rng.chance(50) { try center.grant(rng.int64(1...3), from: .center, to: Self.unit) }
                    book.merge(center)
                default:
                    // A grant to a peer: set aside, then written (or not) a step later.
                    if let (amount, _) = grantsInFlight.first {
                        grantsInFlight.removeFirst()
                        if rng.chance(70) {
                            book.grantPersisted(amount, to: "u-2")
                            given += amount
                        } else {
                            book.grantAbandoned(amount, to: "u-2")
                        }
                    } else if book.available > 0 {
                        let amount = rng.int64(1...book.available)
                        let total = try book.reserveGrant(amount, to: "u-2")
                        #expect(total == given + amount, "\(at)")
                        grantsInFlight.append((amount, total))
                    }
                }
                let received = book.ledger.received(by: Self.unit)
                #expect(book.available >= 0, "\(at)")
                #expect(book.inFlight == Int64(inFlight.count), "\(at)")
                let setAside = grantsInFlight.reduce(0) { $0 + $1.0 }
                #expect(book.available == book.ledger.rights(of: Self.unit) - book.inFlight - setAside, "\(at)")
                #expect(book.ledger.row(Self.unit).grantedTo["u-2", default: 0] == given, "\(at)")
                #expect(book.ledger.row(Self.unit).consumed == committedCount, "\(at)")
                #expect(book.ordersHeld == committedCount + Int64(inFlight.count), "\(at)")
                #expect(book.ordersHeld <= received, "\(at)")
                #expect(book.buyerCount == perUser.values.filter { $0 > 0 }.count, "\(at)")
            }
        }
    }
}
