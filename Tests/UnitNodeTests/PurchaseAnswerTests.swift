// Every answer of the purchase endpoint, one by one, and that refusals change nothing.

import FlashSaleAPI
import FlashSaleCore
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
import NIOCore
import HTTPTypes

@Suite struct PurchaseAnswerTests {
    private func buy(_ client: some TestClientProtocol, user: String, sale: String = TestUnit.saleID) async throws -> TestResponse {
        try await client.execute(uri: "/v1/sales/\(sale)/purchases?user=\(user)", method: .post) { $0 }
    }

    @Test func firstPurchaseIsCreatedAndSecondReturnsTheSameOrder() async throws {
        let unit = try TestUnit(stock: 5)
        defer { unit.remove() }
        try await unit.withLiveUnit { client in
            let first = try await buy(client, user: "alice")
            #expect(first.status == .created)
            let order = try first.decoded(OrderView.self)
            #expect(order.user == "alice" && order.sale == TestUnit.saleID && order.unit == TestUnit.unitID)
            #expect(order.status == .reserved)
            #expect(first.headers[.location] == "/v1/orders/\(order.id)")
            let secret = try #require(order.orderSecret, "the 201 carries the order's secret, for its buyer")
            var shown = order
            shown.orderSecret = nil

            // Anyone may name alice in a sale without tokens: the answer shows her order, never its secret.
            let again = try await buy(client, user: "alice")
            #expect(again.status == .conflict)
            #expect(again.headers[.contentType] == "application/problem+json")
            let problem = try again.decoded(Problem.self)
            #expect(problem.code == .alreadyBought)
            #expect(problem.order == shown)

            let lookup = try await client.execute(uri: "/v1/orders/\(order.id)", method: .get, headers: TestUnit.orderSecret(secret))
            #expect(lookup.status == .ok)
            #expect(try lookup.decoded(OrderView.self) == shown)

            let sale = try await client.execute(uri: "/v1/sales/\(TestUnit.saleID)", method: .get)
            #expect(try sale.decoded(SaleView.self).stockLeft == 4)
        }
        #expect(try unit.stored().orders == 1)
    }

    @Test func soldOutIs410AndLeavesNothingBehind() async throws {
        let unit = try TestUnit(stock: 2)
        defer { unit.remove() }
        try await unit.withLiveUnit { client in
            #expect(try await buy(client, user: "a").status == .created)
            #expect(try await buy(client, user: "b").status == .created)
            let third = try await buy(client, user: "c")
            #expect(third.status == .gone)
            #expect(try third.decoded(Problem.self).code == .soldOut)
            let sale = try await client.execute(uri: "/v1/sales/\(TestUnit.saleID)", method: .get)
            let view = try sale.decoded(SaleView.self)
            #expect(view.state == "sold-out" && view.stockLeft == 0)
        }
        #expect(try unit.stored().orders == 2)
        #expect(try unit.stored().sold == 2)
    }

    @Test func perUserLimitAboveOneAllowsThatManyOrders() async throws {
        let unit = try TestUnit(stock: 10, perUserLimit: 2)
        defer { unit.remove() }
        try await unit.withLiveUnit { client in
            #expect(try await buy(client, user: "bob").status == .created)
            #expect(try await buy(client, user: "bob").status == .created)
            let third = try await buy(client, user: "bob")
            #expect(third.status == .conflict)
            #expect(try third.decoded(Problem.self).code == .alreadyBought)
        }
        #expect(try unit.stored().orders == 2)
    }

    @Test func notStartedIs403WithRetryAfterAndStartTime() async throws {
        // The unit's clock stands still, so the wait it announces is exact.
        let now = Date().millisecondsSince1970
        let unit = try TestUnit(stock: 5, startsAtMs: now + 89_500, endsAtMs: now + 200_000, nowMs: { now })
        defer { unit.remove() }
        try await unit.withLiveUnit { client in
            let answer = try await buy(client, user: "early")
            #expect(answer.status == .forbidden)
            let problem = try answer.decoded(Problem.self)
            #expect(problem.code == .saleNotStarted)
            #expect(problem.startsAt.map { abs($0.millisecondsSince1970 - (now + 89_500)) < 1000 } == true, "whole seconds on the wire")
            #expect(answer.headers[.retryAfter] == "90", "89.5 s rounded up")
            #expect(problem.retryAfterSeconds == 90)
            let view = try await client.execute(uri: "/v1/sales/\(TestUnit.saleID)", method: .get).decoded(SaleView.self)
            #expect(view.state == "scheduled" && view.stockLeft == 5)
        }
        #expect(try unit.stored().orders == 0)
    }

    @Test func endedIs409SaleEnded() async throws {
        let now = Date().millisecondsSince1970
        let unit = try TestUnit(stock: 5, startsAtMs: now - 10_000, endsAtMs: now - 1)
        defer { unit.remove() }
        try await unit.withLiveUnit { client in
            let answer = try await buy(client, user: "late")
            #expect(answer.status == .conflict)
            #expect(try answer.decoded(Problem.self).code == .saleEnded)
        }
        #expect(try unit.stored().orders == 0)
    }

    @Test(arguments: [
        "/v1/sales/phone/purchases",
        "/v1/sales/phone/purchases?user=",
        "/v1/sales/phone/purchases?user=has%20space",
        "/v1/sales/phone/purchases?user=quote%22",
        "/v1/sales/phone/purchases?user=" + String(repeating: "x", count: 129),
    ])
    func badBuyerIs400(uri: String) async throws {
        let unit = try TestUnit(stock: 5)
        defer { unit.remove() }
        try await unit.withLiveUnit { client in
            let answer = try await client.execute(uri: uri, method: .post)
            #expect(answer.status == .badRequest)
            #expect(answer.headers[.contentType] == "application/problem+json")
            #expect(try answer.decoded(Problem.self).code == .invalidInput)
        }
        #expect(try unit.stored().orders == 0)
    }

    @Test func jsonBodyWorksAndMalformedJsonIs400() async throws {
        let unit = try TestUnit(stock: 5)
        defer { unit.remove() }
        try await unit.withLiveUnit { client in
            let headers: HTTPFields = [.contentType: "application/json"]
            let good = try await client.execute(
                uri: "/v1/sales/phone/purchases", method: .post, headers: headers, body: ByteBuffer(string: #"{"user":"carol"}"#))
            #expect(good.status == .created)
            let bad = try await client.execute(
                uri: "/v1/sales/phone/purchases", method: .post, headers: headers, body: ByteBuffer(string: #"{"user":"#))
            #expect(bad.status == .badRequest)
            #expect(try bad.decoded(Problem.self).code == .invalidInput)
        }
        #expect(try unit.stored().orders == 1)
    }

    @Test func unknownSaleAndUnknownOrders() async throws {
        let unit = try TestUnit(stock: 5)
        defer { unit.remove() }
        try await unit.withLiveUnit { client in
            let noSale = try await buy(client, user: "a", sale: "nothing-here")
            #expect(noSale.status == .notFound)
            #expect(try noSale.decoded(Problem.self).code == .unknownSale)
            let saleView = try await client.execute(uri: "/v1/sales/nothing-here", method: .get)
            #expect(try saleView.decoded(Problem.self).code == .unknownSale)

            let notAnID = try await client.execute(uri: "/v1/orders/not-an-id", method: .get)
            #expect(notAnID.status == .badRequest)
            let missing = try await client.execute(uri: "/v1/orders/\(TestUnit.unitID)-1-0", method: .get)
            #expect(missing.status == .notFound)
            #expect(try missing.decoded(Problem.self).code == .unknownOrder)
            let elsewhere = try await client.execute(uri: "/v1/orders/us-east-1-1-0", method: .get)
            #expect(try elsewhere.decoded(Problem.self).code == .unknownOrder)

            let route = try await client.execute(uri: "/v1/nowhere", method: .get)
            #expect(route.status == .notFound)
            #expect(try route.decoded(Problem.self).code == .notFound)
        }
    }

    @Test func saleListShowsStateStockAndServerTime() async throws {
        // The unit's clock is the test's (a whole second: the wire carries seconds): the answer must carry exactly its
        // time, however slow the machine.
        let nowMs: Int64 = 1_900_000_000_000
        let unit = try TestUnit(stock: 3, nowMs: { nowMs })
        defer { unit.remove() }
        try await unit.withLiveUnit { client in
            let list = try await client.execute(uri: "/v1/sales", method: .get).decoded([SaleView].self)
            #expect(list.map(\.id) == [TestUnit.saleID, TestUnit.otherSaleID], "every sale, in id order")
            let view = try #require(list.first)
            #expect(view.id == TestUnit.saleID && view.state == "open" && view.stockLeft == 3)
            #expect(view.unit == TestUnit.unitID && view.region == TestUnit.region)
            #expect(view.serverTime.millisecondsSince1970 == nowMs)
        }
    }
}
