// What a known idempotency key answers, through the life of its order.

import FlashSaleCore
import Testing

@Suite("IdempotencyIndex")
struct IdempotencyIndexTests {
    func order(_ user: String, key: String?, sale: String = "phone", sequence: Int64 = 0) -> Order {
        Order(id: OrderID(unit: "eu-west-1", milliseconds: 1_000, sequence: sequence), saleID: sale, userID: user, idempotencyKey: key)
    }

    @Test("a key is new, then in progress while written, then replays its order")
    func lifecycle() {
        var index = IdempotencyIndex()
        #expect(index.lookup(user: "alice", key: "k", sale: "phone") == .new)
        let first = order("alice", key: "k")
        index.begin(first)
        #expect(index.lookup(user: "alice", key: "k", sale: "phone") == .inProgress)
        index.finish(first)
        #expect(index.lookup(user: "alice", key: "k", sale: "phone") == .replay(first))
    }

    @Test("the same key for another sale is a mismatch, in flight or done")
    func mismatch() {
        var index = IdempotencyIndex()
        let first = order("alice", key: "k")
        index.begin(first)
        #expect(index.lookup(user: "alice", key: "k", sale: "tablet") == .mismatch)
        index.finish(first)
        #expect(index.lookup(user: "alice", key: "k", sale: "tablet") == .mismatch)
    }

    @Test("keys belong to users; an order without a key is not remembered; an abandoned key is free again")
    func scope() {
        var index = IdempotencyIndex()
        let first = order("alice", key: "k")
        index.begin(first)
        index.finish(first)
        #expect(index.lookup(user: "bob", key: "k", sale: "phone") == .new)
        index.finish(order("carol", key: nil))
        #expect(index.count == 1)
        let failed = order("dave", key: "x", sequence: 1)
        index.begin(failed)
        index.abandon(failed)
        #expect(index.lookup(user: "dave", key: "x", sale: "phone") == .new)
        #expect(index.count == 1)
    }

    @Test("a retry sees the order as it is now: paid, cancelled or expired; another order or key changes nothing")
    func movedOn() {
        var index = IdempotencyIndex()
        let first = order("alice", key: "k")
        index.begin(first)
        index.finish(first)
        var cancelled = first
        cancelled.status = .cancelled
        index.update(cancelled)
        #expect(index.lookup(user: "alice", key: "k", sale: "phone") == .replay(cancelled))
        // An order this key did not make (another id), one without a key, one of a user with no such key: ignored.
        var other = order("alice", key: "k", sequence: 9)
        other.status = .paid
        index.update(other)
        index.update(order("alice", key: nil))
        index.update(order("bob", key: "k"))
        #expect(index.lookup(user: "alice", key: "k", sale: "phone") == .replay(cancelled))
        #expect(index.lookup(user: "bob", key: "k", sale: "phone") == .new)
        // In flight, nothing is known yet to update.
        let flying = order("carol", key: "f", sequence: 2)
        index.begin(flying)
        index.update(flying)
        #expect(index.lookup(user: "carol", key: "f", sale: "phone") == .inProgress)
    }
}
