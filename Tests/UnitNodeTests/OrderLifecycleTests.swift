// Orders after the purchase: paid within the window, cancelled by the buyer, or expired by the unit; released
// stock sells again, and a paid order is never released.

import FlashSaleAPI
import FlashSaleCore
import Foundation
import GRDB
import HTTPTypes
import HummingbirdTesting
import Logging
import Testing
@testable import UnitNode

@Suite struct OrderLifecycleTests {
    static let window: Int64 = 60_000

    private func buy(_ client: some TestClientProtocol, _ user: String) async throws -> TestResponse {
        try await client.execute(uri: "/v1/sales/\(TestUnit.saleID)/purchases?user=\(user)", method: .post)
    }

    /// The payment provider's signed callback for `order`, at the unit's time `nowMs`.
    private func pay(_ client: some TestClientProtocol, _ order: OrderView, atMs nowMs: Int64 = Date().millisecondsSince1970)
        async throws -> TestResponse
    {
        try await client.execute(uri: "/v1/orders/\(order.id)/pay", method: .post, headers: TestUnit.payment(order.id, atMs: nowMs))
    }

    /// The buyer cancels `order` with its secret (from the purchase's answer).
    private func cancel(_ client: some TestClientProtocol, _ order: OrderView) async throws -> TestResponse {
        try await client.execute(uri: "/v1/orders/\(order.id)/cancel", method: .post, headers: TestUnit.orderSecret(order.orderSecret))
    }

    private func lookup(_ client: some TestClientProtocol, _ order: OrderView) async throws -> OrderView {
        try await client.execute(uri: "/v1/orders/\(order.id)", method: .get, headers: TestUnit.orderSecret(order.orderSecret))
            .decoded(OrderView.self)
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
            let paid = try await pay(client, order, atMs: clock.nowMs)
            #expect(paid.status == .ok)
            #expect(try paid.decoded(OrderView.self).status == .paid)
            #expect(try await pay(client, order, atMs: clock.nowMs).status == .ok, "a callback sent twice is harmless")
            #expect(try await cancel(client, order).decoded(Problem.self).code == .orderPaid)

            clock.advance(byMs: 2 * Self.window)
            try await Task.sleep(for: .milliseconds(300))  // several sweeps
            #expect(try await lookup(client, order).status == .paid)
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
            let cancelled = try await cancel(client, order)
            #expect(try cancelled.decoded(OrderView.self).status == .cancelled)
            #expect(try await stockLeft(client) == 1)
            #expect(try await cancel(client, order).status == .ok, "cancelling twice is harmless")
            #expect(try await pay(client, order).decoded(Problem.self).code == .orderCancelled)
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
            #expect(try await pay(client, order, atMs: clock.nowMs).decoded(Problem.self).code == .orderExpired)
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
            let cancelled = try await cancel(client, first)
            #expect(cancelled.status == .conflict)
            #expect(try cancelled.decoded(Problem.self).code == .orderExpired)
            #expect(try await stockLeft(client) == 1)
            #expect(try await pay(client, second, atMs: clock.nowMs).decoded(Problem.self).code == .orderExpired)
            #expect(try await stockLeft(client) == 2)
            #expect(try await lookup(client, first).status == .expired)
            #expect(try await cancel(client, first).decoded(Problem.self).code == .orderExpired)
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

    /// A unit started without an orders credential or a webhook secret serves its log to no one and takes no payment,
    /// whatever is sent; the buyer can still see and cancel their order with its secret.
    @Test func aUnitWithoutTheSecretsServesItsLogToNoOneAndTakesNoPayment() async throws {
        let unit = try TestUnit(stock: 2, paymentWindowMs: Self.window)
        defer { unit.remove() }
        var settings = unit.settings
        settings.ordersCredential = nil
        settings.paymentWebhookSecret = nil
        var logger = Logger(label: "unit-test")
        logger.logLevel = .critical
        let app = try await UnitServer.application(settings: settings, logger: logger, nowMs: unit.nowMs)
        try await app.testLive { client in
            let order = try await buy(client, "alice").decoded(OrderView.self)
            for uri in ["/v1/orders", "/v1/orders/stream"] {
                let refused = try await client.execute(uri: uri, method: .get, headers: TestUnit.consumer)
                #expect(refused.status == .unauthorized)
                #expect(try refused.decoded(Problem.self).detail?.contains("--orders-credential-file") == true)
            }
            let unpaid = try await pay(client, order)
            #expect(unpaid.status == .unauthorized)
            #expect(try unpaid.decoded(Problem.self).detail?.contains("--payment-webhook-secret-file") == true)
            #expect(try await lookup(client, order).status == .reserved)
            #expect(try await cancel(client, order).status == .ok)
        }
    }

    /// A retry of a purchase (its Idempotency-Key) after the order moved on answers the order as it is now, never
    /// the reserved order of the first answer; and it makes no second order.
    @Test func aRetryAfterACancelOrAPaymentShowsTheOrderAsItIsNow() async throws {
        let unit = try TestUnit(stock: 3, paymentWindowMs: Self.window)
        defer { unit.remove() }
        try await unit.withLiveUnit { client in
            func buy(_ user: String, key: String) async throws -> TestResponse {
                try await client.execute(
                    uri: "/v1/sales/\(TestUnit.saleID)/purchases?user=\(user)", method: .post,
                    headers: [HTTPField.Name("Idempotency-Key")!: key])
            }
            let alices = try await buy("alice", key: "a-1").decoded(OrderView.self)
            #expect(try await cancel(client, alices).status == .ok)
            let retried = try await buy("alice", key: "a-1")
            #expect(retried.status == .created && retried.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
            #expect(try retried.decoded(OrderView.self).status == .cancelled)
            #expect(try retried.decoded(OrderView.self).id == alices.id)

            let bobs = try await buy("bob", key: "b-1").decoded(OrderView.self)
            #expect(try await pay(client, bobs).status == .ok)
            #expect(try await buy("bob", key: "b-1").decoded(OrderView.self).status == .paid)
            #expect(try await stockLeft(client) == 2, "alice's cancelled unit is back on sale; the retries bought nothing")
        }
        #expect(try unit.stored().orders == 1)
    }
}
