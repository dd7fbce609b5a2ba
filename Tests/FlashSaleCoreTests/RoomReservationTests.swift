// Room made up front in the purchase path's per-buyer tables: a table that grows by doubling rehashes every key it
// holds while the machine's lock is held, so buyers wait for it mid-sale (BENCHMARKS.md, stop 33).

@testable import FlashSaleCore
import Testing

@Suite("Room reserved for buyers")
struct RoomReservationTests {
    static let unit: NodeID = "u-1"
    static let terms = SaleTerms(id: "sale-1", title: "Sale", startsAtMs: 0, endsAtMs: 10_000, perUserLimit: 1)

    @Test("a book has room for every buyer its rights can serve before the first order, and more when rights arrive")
    func bookRoomFollowsRights() throws {
        var book = PurchaseBook(unit: Self.unit, terms: Self.terms, ledger: try Fixture.ledger(minted: 5_000, grants: [Self.unit: 3_000]))
        #expect(book.room == 3_000)
        #expect(book.buyerCapacity >= 3_000)
        // The unit is given 2,000 more (the rest of the minted stock, by gossip or a new allocation).
        book.merge(try Fixture.ledger(minted: 5_000, grants: [Self.unit: 5_000]))
        #expect(book.room == 5_000)
        #expect(book.buyerCapacity >= 5_000)
        // Buyers take places without the table growing: no rehash while they wait.
        let capacity = book.buyerCapacity
        var sequence = OrderIDSequence(unit: Self.unit)
        for n in 0..<5_000 {
            let user = "user-\(n)"
            #expect(book.admission(for: user) == .admit)
            book.hold(Order(id: sequence.next(nowMs: 1_000), saleID: "sale-1", userID: user))
        }
        #expect(book.buyerCapacity == capacity)
        #expect(book.available == 0)
    }

    @Test("a book rebuilt from its orders has room for them and for what its rights can still sell")
    func rebuiltBookRoom() throws {
        var sequence = OrderIDSequence(unit: Self.unit)
        let orders = (0..<40).map { Order(id: sequence.next(nowMs: 1_000), saleID: "sale-1", userID: "user-\($0)") }
        var ledger = try Fixture.ledger(minted: 100, grants: [Self.unit: 100])
        try ledger.consume(40, at: Self.unit)
        let book = PurchaseBook(unit: Self.unit, terms: Self.terms, ledger: ledger, holding: orders)
        #expect(book.buyerCount == 40)
        #expect(book.room == 100)
        #expect(book.buyerCapacity >= 100)
    }

    @Test("the room made up front is capped: a sale of a billion costs no gigabytes before it sells")
    func roomIsCapped() throws {
        let book = PurchaseBook(
            unit: Self.unit, terms: Self.terms,
            ledger: try Fixture.ledger(minted: 1_000_000_000, grants: [Self.unit: 1_000_000_000]))
        #expect(book.room == PurchaseBook.roomReservedMax)
        #expect(book.buyerCapacity >= PurchaseBook.roomReservedMax)
        #expect(book.buyerCapacity < 2 * PurchaseBook.roomReservedMax)
    }

    @Test("the first keyed order sizes the idempotency index for the sale; orders without keys leave it empty")
    func keysRoom() throws {
        var machine = UnitMachine(unit: Self.unit)
        machine.load(terms: Self.terms, ledger: try Fixture.ledger(minted: 2_000, grants: [Self.unit: 2_000]), orders: [])
        guard case .persist = machine.purchase(sale: "sale-1", user: "alice", idempotencyKey: nil, nowMs: 1_000) else {
            Issue.record("alice's order was not admitted")
            return
        }
        #expect(machine.keys.count == 0)
        #expect(machine.keys.isFull, "an index with no room yet")
        guard case .persist = machine.purchase(sale: "sale-1", user: "bob", idempotencyKey: "k-1", nowMs: 1_000) else {
            Issue.record("bob's order was not admitted")
            return
        }
        #expect(machine.keys.count == 1)
        #expect(!machine.keys.isFull)
        #expect(machine.keys.capacity >= 1_999, "room for a key per order the sale can still make")
        let capacity = machine.keys.capacity
        for n in 0..<1_000 {
            _ = machine.purchase(sale: "sale-1", user: "user-\(n)", idempotencyKey: "k-\(n)", nowMs: 1_000)
        }
        #expect(machine.keys.count == 1_001)
        #expect(machine.keys.capacity == capacity)
    }

    @Test("a sale kept in custody has room in its per-buyer tables for every buyer its book can serve, rights arriving later included")
    func custodyRoom() throws {
        var machine = UnitMachine(unit: Self.unit)
        machine.load(terms: Self.terms, ledger: try Fixture.ledger(minted: 6_000, grants: [Self.unit: 2_000]), orders: [])
        let view = try #require(CustodyView(owners: [Self.unit, "u-2"]))
        machine.custody(sale: "sale-1", view: view, copies: [], caughtUp: true)
        #expect(try #require(machine.sales["sale-1"]?.custody).buyerCapacity >= 2_000)
        machine.merge(sale: "sale-1", others: try Fixture.ledger(minted: 6_000, grants: [Self.unit: 5_000]))
        #expect(try #require(machine.sales["sale-1"]?.custody).buyerCapacity >= 5_000)
    }

    @Test("a rate limiter's new generation reuses the storage of the one it drops")
    func limiterKeepsItsRoom() {
        var limiter = RateLimiter<String>(limit: RateLimit(perMinute: 60, burst: 3), maxKeys: 1_000)
        // Three generations of 500 keys each: the third starts in the first one's storage.
        for n in 0..<1_001 { _ = limiter.take("key-\(n)", atMs: 0) }
        #expect(limiter.trackedKeys == 501)
        #expect(limiter.currentCapacity >= 500)
    }
}
