// Orders after the purchase: paid within the window, cancelled by the buyer, or expired by the unit; released
// stock sells again, and a paid order is never released.

import FlashSaleAPI
import FlashSaleCore
import Foundation
import GRDB
import HTTPTypes
import HummingbirdTesting
import Testing

@Suite struct OrderLifecycleTests {
    static let window: Int64 = 60_000

    private func buy(_ client: some TestClientProtocol, _ user: String) async throws -> TestResponse {
        try await client.execute(uri: "/v1/sales/\(TestUnit.saleID)/purchases?user=\(user)", method: .post)
    }

    private func act(_ client: some TestClientProtocol, _ verb: String, _ order: String, as user: String) async throws -> TestResponse {
        try await client.execute(uri: "/v1/orders/\(order)/\(verb)?user=\(user)", method: .post)
    }

    private func stockLeft(_ client: some TestClientProtocol) async throws -> Int64 {
        try await client.execute(uri: "/v1/sales/\(TestUnit.saleID)", method: .get).decoded(SaleView.self).stockLeft
    }

    /// Polls the unit until `condition` holds (the sweeper runs every 50 ms in tests), for at most 10 s.
    private func eventually(_ condition: () async throws -> Bool) async throws -> Bool {
        for _ in 0..<200 {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    private func released(_ unit: TestUnit) throws -> Int64 {
        try DatabaseQueue(path: unit.databasePath).read { db in
            try Int64.fetchOne(db, sql: "SELECT released FROM unit_stock WHERE sale_id = ?", arguments: [TestUnit.saleID]) ?? -1
        }
    }

    @Test func aPaidOrderStaysPaidAndIsNeverReleased() async throws {
        let clock = TestClock(nowMs: Date().millisecondsSince1970)
        let unit = try TestUnit(stock: 2, paymentWindowMs: Self.window, nowMs: { clock.nowMs })
        defer { unit.remove() }
        try await unit.withLiveUnit { client in
            let created = try await buy(client, "alice")
            let order = try created.decoded(OrderView.self)
            #expect(order.payBy == Date(millisecondsSince1970: order.createdAt.millisecondsSince1970 + Self.window))
            #expect(try await act(client, "pay", order.id, as: "bob").decoded(Problem.self).code == .notOrderOwner)
            let paid = try await act(client, "pay", order.id, as: "alice")
            #expect(paid.status == .ok)
            #expect(try paid.decoded(OrderView.self).status == .paid)
            #expect(try await act(client, "pay", order.id, as: "alice").status == .ok, "paying twice is harmless")
            #expect(try await act(client, "cancel", order.id, as: "alice").decoded(Problem.self).code == .orderPaid)

            clock.advance(byMs: 2 * Self.window)
            try await Task.sleep(for: .milliseconds(300))  // several sweeps
            let lookup = try await client.execute(uri: "/v1/orders/\(order.id)", method: .get).decoded(OrderView.self)
            #expect(lookup.status == .paid)
            #expect(try await stockLeft(client) == 1)
        }
        #expect(try released(unit) == 0)
    }

    @Test func aCancelledOrderGivesItsStockAndTheBuyersSlotBack() async throws {
        let unit = try TestUnit(stock: 1, paymentWindowMs: Self.window)
        defer { unit.remove() }
        try await unit.withLiveUnit { client in
            let order = try await buy(client, "alice").decoded(OrderView.self)
            #expect(try await buy(client, "bob").status == .gone)
            let cancelled = try await act(client, "cancel", order.id, as: "alice")
            #expect(try cancelled.decoded(OrderView.self).status == .cancelled)
            #expect(try await stockLeft(client) == 1)
            #expect(try await act(client, "cancel", order.id, as: "alice").status == .ok, "cancelling twice is harmless")
            #expect(try await act(client, "pay", order.id, as: "alice").decoded(Problem.self).code == .orderCancelled)
            // The stock sells again, and alice may buy again: her slot is free.
            #expect(try await buy(client, "alice").status == .created)
            #expect(try await buy(client, "bob").status == .gone)
        }
        #expect(try released(unit) == 1)
        #expect(try unit.stored().orders == 1, "one order holds stock")
    }

    @Test func anUnpaidOrderExpiresAndItsStockSellsAgain() async throws {
        let clock = TestClock(nowMs: Date().millisecondsSince1970)
        let unit = try TestUnit(stock: 1, paymentWindowMs: Self.window, nowMs: { clock.nowMs })
        defer { unit.remove() }
        try await unit.withLiveUnit { client in
            let order = try await buy(client, "alice").decoded(OrderView.self)
            #expect(try await buy(client, "bob").status == .gone)
            clock.advance(byMs: Self.window - 1)
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await stockLeft(client) == 0, "not a millisecond early")
            clock.advance(byMs: 1)
            let back = try await eventually { try await stockLeft(client) == 1 }
            #expect(back)
            #expect(try await act(client, "pay", order.id, as: "alice").decoded(Problem.self).code == .orderExpired)
            #expect(try await buy(client, "bob").status == .created)
        }
        #expect(try released(unit) == 1)
    }

    /// Past the window the order has expired, whether or not the sweep has reached it: paying or cancelling it
    /// then answers order-expired, and that request gives the stock back itself.
    @Test func pastItsWindowAnOrderIsExpiredBeforeTheSweepRuns() async throws {
        let clock = TestClock(nowMs: Date().millisecondsSince1970)
        let unit = try TestUnit(stock: 2, paymentWindowMs: Self.window, expiryInterval: .seconds(3_600), nowMs: { clock.nowMs })
        defer { unit.remove() }
        try await unit.withLiveUnit { client in
            let first = try await buy(client, "alice").decoded(OrderView.self)
            let second = try await buy(client, "bob").decoded(OrderView.self)
            clock.advance(byMs: Self.window)
            let cancel = try await act(client, "cancel", first.id, as: "alice")
            #expect(cancel.status == .conflict)
            #expect(try cancel.decoded(Problem.self).code == .orderExpired)
            #expect(try await stockLeft(client) == 1)
            #expect(try await act(client, "pay", second.id, as: "bob").decoded(Problem.self).code == .orderExpired)
            #expect(try await stockLeft(client) == 2)
            let lookup = try await client.execute(uri: "/v1/orders/\(first.id)", method: .get).decoded(OrderView.self)
            #expect(lookup.status == .expired)
            #expect(try await act(client, "cancel", first.id, as: "alice").decoded(Problem.self).code == .orderExpired)
            #expect(try await stockLeft(client) == 2, "an order expires once")
        }
        #expect(try released(unit) == 2)
    }

    @Test func expiryResumesAfterARestart() async throws {
        let clock = TestClock(nowMs: Date().millisecondsSince1970)
        let unit = try TestUnit(stock: 1, paymentWindowMs: Self.window, nowMs: { clock.nowMs })
        defer { unit.remove() }
        try await unit.withLiveUnit { client in
            let first = try await buy(client, "alice")
            #expect(first.status == .created)
        }
        clock.advance(byMs: Self.window)
        try await unit.withLiveUnit { client in
            let back = try await eventually { try await stockLeft(client) == 1 }
            #expect(back)
            #expect(try await buy(client, "bob").status == .created)
        }
        #expect(try released(unit) == 1)
    }
}
