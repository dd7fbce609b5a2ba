// Purchases held a moment while stock is on its way: retried when it comes, answered when their time runs out.

import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing

@testable import UnitNode

@Suite struct StockHoldTests {
    /// What the held purchases were told, in order: (name, last).
    final class Calls: Sendable {
        let list = Mutex<[(String, Bool)]>([])
        func retry(_ name: String) -> StockHold.Retry { { last in self.list.withLock { $0.append((name, last)) } } }
        var names: [String] { list.withLock { $0.map { "\($0.0)\($0.1 ? "!" : "")" } } }
    }

    final class World: Sendable {
        let now = Atomic<Int64>(1_000)
        let stocked = Mutex<[String: Int64]>([:])
    }

    func hold(_ world: World, capacity: Int = 10) -> StockHold {
        StockHold(
            holdMs: 300, capacity: capacity, stock: { sale in world.stocked.withLock { $0[sale] ?? 0 } },
            clockMs: { world.now.load(ordering: .relaxed) })
    }

    @Test func aHeldPurchaseWaitsUntilItsSaleHasStockThenIsRetriedInArrivalOrder() {
        let world = World()
        let hold = hold(world)
        let calls = Calls()
        #expect(hold.hold(sale: "phone", deadlineMs: 1_300, retry: calls.retry("a")))
        #expect(hold.hold(sale: "tv", deadlineMs: 1_300, retry: calls.retry("b")))
        #expect(hold.hold(sale: "phone", deadlineMs: 1_310, retry: calls.retry("c")))
        hold.sweep()
        #expect(calls.names.isEmpty, "no stock yet, time not out: nothing is answered")
        world.stocked.withLock { $0["phone"] = 1 }
        hold.sweep()
        #expect(calls.names == ["a"], "one unit of stock: the phone's first buyer, not yet its last try")
        world.stocked.withLock { $0["phone"] = 5 }
        hold.sweep()
        #expect(calls.names == ["a", "c"], "then the next, in order")
        #expect(hold.count == 1)
    }

    @Test func aPurchaseWhoseTimeRanOutGetsItsLastTry() {
        let world = World()
        let hold = hold(world)
        let calls = Calls()
        #expect(hold.hold(sale: "phone", deadlineMs: 1_300, retry: calls.retry("a")))
        #expect(hold.hold(sale: "phone", deadlineMs: 1_400, retry: calls.retry("b")))
        world.now.store(1_300, ordering: .relaxed)
        hold.sweep()
        #expect(calls.names == ["a!"])
        #expect(hold.count == 1)
    }

    @Test func itsDeadlinesAreOnAClockThatNeverJumps() throws {
        let hold = StockHold(stock: { _ in 0 })
        let first = hold.deadline()
        try #require(first >= 300)
        #expect(hold.deadline() >= first, "monotonic")
        #expect(hold.deadline() - StockHold.monotonicMs() <= 300)
    }

    @Test func aFullHoldHoldsNothingMore() {
        let world = World()
        let hold = hold(world, capacity: 2)
        let calls = Calls()
        #expect(hold.hold(sale: "phone", deadlineMs: 1_300, retry: calls.retry("a")))
        #expect(hold.hold(sale: "phone", deadlineMs: 1_300, retry: calls.retry("b")))
        #expect(!hold.hold(sale: "phone", deadlineMs: 1_300, retry: calls.retry("c")), "the caller answers at once")
        #expect(hold.count == 2)
    }

    @Test func itSweepsByItselfAndAnswersEveryoneWhenItStops() async throws {
        let world = World()
        let hold = hold(world)
        let calls = Calls()
        let group = ServiceGroup(configuration: .init(services: [hold], logger: .init(label: "test")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            #expect(hold.hold(sale: "phone", deadlineMs: .max, retry: calls.retry("a")))
            world.stocked.withLock { $0["phone"] = 1 }
            try await eventually { calls.names == ["a"] }
            #expect(hold.hold(sale: "tv", deadlineMs: .max, retry: calls.retry("b")))
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        #expect(calls.names == ["a", "b!"], "the unit stopping answers what it held")
        #expect(!hold.hold(sale: "tv", deadlineMs: .max, retry: calls.retry("c")), "and holds nothing after")
    }

    private func eventually(_ condition: () -> Bool) async throws {
        for _ in 0..<500 where !condition() { try await Task.sleep(for: .milliseconds(10)) }
        #expect(condition())
    }
}
