// A unit restarted on its own data: orders, counters and per-user limits come back from SQLite.

import FlashSaleAPI
import Foundation
import HummingbirdTesting
import Testing
import Synchronization
import FlashSaleCore

@Suite struct RestartTests {
    @Test func ordersRightsAndLimitsSurviveARestartWithoutTheConfigCenter() async throws {
        let unit = try TestUnit(stock: 3)
        defer { unit.remove() }
        let first = LockedBox<OrderView?>(nil)
        try await unit.withLiveUnit { client in
            let answer = try await client.execute(uri: "/v1/sales/phone/purchases?user=alice", method: .post)
            #expect(answer.status == .created)
            first.value = try answer.decoded(OrderView.self)
            #expect(try await client.execute(uri: "/v1/sales/phone/purchases?user=bob", method: .post).status == .created)
        }
        let alicesOrder = try #require(first.value)
        // Second life of the same unit: the config-center is still unreachable.
        try await unit.withLiveUnit { client in
            let view = try await client.execute(uri: "/v1/sales/phone", method: .get).decoded(SaleView.self)
            #expect(view.stockLeft == 1)
            let again = try await client.execute(uri: "/v1/sales/phone/purchases?user=alice", method: .post)
            #expect(again.status == .conflict)
            var shown = alicesOrder
            shown.orderSecret = nil
            #expect(try again.decoded(Problem.self).order == shown)
            // The order's secret is made from the unit's key, not stored: it still opens the order after a restart.
            let lookup = try await client.execute(
                uri: "/v1/orders/\(alicesOrder.id)", method: .get, headers: TestUnit.orderSecret(alicesOrder.orderSecret))
            #expect(try lookup.decoded(OrderView.self) == shown)
            let carol = try await client.execute(uri: "/v1/sales/phone/purchases?user=carol", method: .post)
            #expect(carol.status == .created)
            // Ids keep growing after a restart.
            let carolsOrder = try carol.decoded(OrderView.self)
            #expect(try #require(OrderID(carolsOrder.id)) > #require(OrderID(alicesOrder.id)))
            #expect(try await client.execute(uri: "/v1/sales/phone/purchases?user=dave", method: .post).status == .gone)
        }
        #expect(try unit.stored().orders == 3)
        #expect(try unit.stored().sold == 3)
    }
}

/// A value set inside a `@Sendable` test closure and read after it.
final class LockedBox<Value: Sendable>: Sendable {
    private let storage: Mutex<Value>
    init(_ value: Value) { storage = Mutex(value) }
    var value: Value {
        get { storage.withLock { $0 } }
        set { storage.withLock { $0 = newValue } }
    }
}
