// GET /metrics of a unit: every purchase counted once under its outcome, the writer's batches and commit times,
// the order lifecycle, rate-limit refusals and the rights each sale holds; each unit only its own numbers.

import FlashSaleAPI
import FlashSaleCore
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing
@testable import UnitNode

@Suite struct UnitMetricsTests {
    private func buy(_ client: some TestClientProtocol, _ user: String, sale: String = TestUnit.saleID) async throws -> TestResponse {
        try await client.execute(uri: "/v1/sales/\(sale)/purchases?user=\(user)", method: .post)
    }

    @Test func everyPurchaseIsCountedOnceUnderItsOutcome() async throws {
        let unit = try TestUnit(stock: 1)
        defer { unit.remove() }
        try await unit.withLiveUnit { client in
            let before = try await MetricsScrape.of(client)
            #expect(before.contentType == "text/plain; version=0.0.4; charset=utf-8")
            // Every outcome is there from the start, at zero: a dashboard need not wait for the first refusal.
            for label in PurchaseOutcomeLabel.allCases { #expect(before.purchases(label.name) == 0, "\(label.name)") }
            #expect(before["flashsale_rights_held{sale=\"\(TestUnit.saleID)\"}"] == 1)
            #expect(before["flashsale_ready"] == 1)
            #expect(before["flashsale_config_version"] == 1)
            // The unit's writer took over its WAL's checkpoints: the series are there, and none was forced.
            for place in ["background", "finished", "forced"] {
                #expect(before["flashsale_wal_checkpoints{by=\"\(place)\"}"] == 0, "\(place)")
            }

            #expect(try await buy(client, "alice").status == .created)
            #expect(try await buy(client, "alice").status == .gone)  // nothing left: sold out comes before the limit
            #expect(try await buy(client, "bob").status == .gone)
            #expect(try await buy(client, "bob", sale: "nope").status == .notFound)
            #expect(try await buy(client, "bad%20user", sale: TestUnit.otherSaleID).status == .badRequest)
            var keyed = HTTPFields()
            keyed[HTTPField.Name("Idempotency-Key")!] = String(repeating: "k", count: 300)
            let badKey = try await client.execute(
                uri: "/v1/sales/\(TestUnit.saleID)/purchases?user=carol", method: .post, headers: keyed)
            #expect(badKey.status == .badRequest)

            let after = try await MetricsScrape.of(client)
            #expect(after.purchases("created") == 1)
            #expect(after.purchases("sold-out") == 2)
            #expect(after.purchases("unknown-sale") == 1)
            #expect(after.purchases("invalid-input") == 2)
            let total = PurchaseOutcomeLabel.allCases.compactMap { after.purchases($0.name) }.reduce(0, +)
            #expect(total == 6, "one count per request")
            #expect(after["flashsale_group_commit_batch_orders_count"] == 1)
            #expect(after["flashsale_group_commit_batch_orders_sum"] == 1)
            #expect(after["flashsale_group_commit_seconds_count"] == 1)
            // The one order's wait is timed (it waited at least for its commit); no refusal's is.
            #expect(after["flashsale_order_seconds_count"] == 1)
            #expect((after["flashsale_order_seconds_sum"] ?? 0) > 0)
            #expect((after["flashsale_order_seconds_sum"] ?? .infinity) < 60)
            #expect(after["flashsale_rights_held{sale=\"\(TestUnit.saleID)\"}"] == 0)
            #expect(after["flashsale_stock_available{sale=\"\(TestUnit.saleID)\"}"] == 0)
            #expect(after["flashsale_rights_held{sale=\"\(TestUnit.otherSaleID)\"}"] == 1)
        }
    }

    /// A purchase Hummingbird's route reads (pipelined behind another request, or in a router test) is timed as the
    /// purchase handler times it.
    @Test func anOrderMadeThroughTheRouteIsTimedToo() async throws {
        let unit = try TestUnit(stock: 2)
        defer { unit.remove() }
        try await unit.application().test(.router) { client in
            #expect(try await buy(client, "alice").status == .created)
            #expect(try await buy(client, "alice").status == .conflict)
            let scrape = try await MetricsScrape.of(client)
            #expect(scrape["flashsale_order_seconds_count"] == 1)
            #expect(scrape.purchases("created") == 1)
        }
    }

    @Test func aBodyPastTheUploadLimitIsCountedAsItIsAnswered() async throws {
        let unit = try TestUnit(stock: 1)
        defer { unit.remove() }
        try await unit.withLiveUnit { client in
            let body = ByteBuffer(string: #"{"user": "\#(String(repeating: "a", count: 3 << 20))"}"#)
            let answer = try await client.execute(
                uri: "/v1/sales/\(TestUnit.saleID)/purchases", method: .post, headers: [.contentType: "application/json"],
                body: body)
            #expect(answer.status == .contentTooLarge)
            #expect(try await MetricsScrape.of(client).purchases("payload-too-large") == 1)
        }
    }

    @Test func alreadyBoughtAndReplayedAreTheirOwnOutcomes() async throws {
        let unit = try TestUnit(stock: 5)
        defer { unit.remove() }
        try await unit.withLiveUnit { client in
            var keyed = HTTPFields()
            keyed[HTTPField.Name("Idempotency-Key")!] = "k-1"
            let uri = "/v1/sales/\(TestUnit.saleID)/purchases?user=alice"
            #expect(try await client.execute(uri: uri, method: .post, headers: keyed).status == .created)
            #expect(try await client.execute(uri: uri, method: .post, headers: keyed).status == .created)
            #expect(try await buy(client, "alice").status == .conflict)
            let scrape = try await MetricsScrape.of(client)
            #expect(scrape.purchases("created") == 1)
            #expect(scrape.purchases("replayed") == 1)
            #expect(scrape.purchases("already-bought") == 1)
        }
    }

    @Test func rateLimitRefusalsAreCountedByLimiter() async throws {
        let rules = AdmissionRules(userRate: RateLimit(perMinute: 1, burst: 1), ipRate: RateLimit(perMinute: 1, burst: 2))
        let unit = try TestUnit(stock: 10, perUserLimit: 5, admission: rules)
        defer { unit.remove() }
        try await unit.withLiveUnit { client in
            #expect(try await buy(client, "alice").status == .created)
            #expect(try await buy(client, "alice").status == .tooManyRequests)  // alice's own bucket is empty
            #expect(try await buy(client, "bob").status == .tooManyRequests)  // and so is the address's now
            let scrape = try await MetricsScrape.of(client)
            #expect(scrape["flashsale_rate_limited_total{limiter=\"user\"}"] == 1)
            #expect(scrape["flashsale_rate_limited_total{limiter=\"address\"}"] == 1)
            #expect(scrape.purchases("rate-limited") == 2)
        }
    }

    @Test func paidCancelledAndExpiredOrdersAreCounted() async throws {
        let clock = TestClock(nowMs: Date().millisecondsSince1970)
        let unit = try TestUnit(stock: 3, paymentWindowMs: 60_000, nowMs: { clock.nowMs })
        defer { unit.remove() }
        try await unit.withLiveUnit { client in
            var orders: [OrderView] = []
            for user in ["alice", "bob", "carol"] { orders.append(try await buy(client, user).decoded(OrderView.self)) }
            let payment = TestUnit.payment(orders[0].id, atMs: clock.nowMs)
            #expect(try await client.execute(uri: "/v1/orders/\(orders[0].id)/pay", method: .post, headers: payment).status == .ok)
            #expect(try await client.execute(uri: "/v1/orders/\(orders[0].id)/pay", method: .post, headers: payment).status == .ok)
            let secret = TestUnit.orderSecret(orders[1].orderSecret)
            #expect(try await client.execute(uri: "/v1/orders/\(orders[1].id)/cancel", method: .post, headers: secret).status == .ok)
            clock.advance(byMs: 60_000)
            var scrape = try await MetricsScrape.of(client)
            for _ in 0..<200 where scrape["flashsale_orders_expired_total"] != 1 {
                try await Task.sleep(for: .milliseconds(50))  // the sweeper runs every 50 ms in tests
                scrape = try await MetricsScrape.of(client)
            }
            #expect(scrape["flashsale_orders_expired_total"] == 1)
            #expect(scrape["flashsale_orders_paid_total"] == 1, "paying twice is one payment")
            #expect(scrape["flashsale_orders_cancelled_total"] == 1)
        }
    }

    @Test func twoUnitsInOneProcessExportOnlyTheirOwnNumbers() async throws {
        let busy = try TestUnit(stock: 5)
        let idle = try TestUnit(stock: 5)
        defer {
            busy.remove()
            idle.remove()
        }
        try await busy.withLiveUnit { (busyClient: any TestClientProtocol) async throws in
            try await idle.withLiveUnit { (idleClient: any TestClientProtocol) async throws in
                for user in ["alice", "bob"] { #expect(try await buy(busyClient, user).status == .created) }
                #expect(try await MetricsScrape.of(busyClient).purchases("created") == 2)
                #expect(try await MetricsScrape.of(idleClient).purchases("created") == 0)
            }
        }
    }

    @Test func everyRefusalOfThePurchasePathHasItsOwnLabel() {
        for refusal in PurchaseRefusal.allCases {
            let code = ProblemCode(refusal)
            #expect(code.rawValue == refusal.rawValue, "every refusal is a problem code")
            #expect(PurchaseOutcomeLabel(code) == .refused(refusal))
            #expect(PurchaseOutcomeLabel.refused(refusal).name == code.rawValue)
        }
        #expect(PurchaseOutcomeLabel.allCases.enumerated().allSatisfy { $0.offset == $0.element.index }, "counters are indexed by label")
        #expect(Set(PurchaseOutcomeLabel.allCases.map(\.name)).count == PurchaseOutcomeLabel.allCases.count)
        #expect(PurchaseOutcomeLabel(.allocationExceedsStock) == .other)
    }
}
