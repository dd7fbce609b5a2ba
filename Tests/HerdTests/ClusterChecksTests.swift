// The checks over read-back data: a sound cluster passes, and each kind of broken one fails the right check.

import FlashSaleAPI
import FlashSaleCore
import Foundation
import Testing

@testable import Herd

struct ClusterChecksTests {
    static let epoch = Date(timeIntervalSince1970: 1_800_000_000)

    static func order(_ id: String, user: String, unit: String = "eu-1", status: OrderStatus = .reserved) -> OrderView {
        OrderView(id: id, sale: "tv", user: user, unit: unit, status: status, createdAt: epoch)
    }

    /// A sale of 10: 4 sold at eu-1, 2 at us-1, 1 sold then cancelled; 4 still at units, none at the center.
    static func sound() -> ClusterReadBack {
        let orders = [
            order("eu-1-1-0", user: "a"), order("eu-1-1-1", user: "b"), order("eu-1-2-0", user: "c", status: .paid),
            order("eu-1-2-1", user: "d"), order("eu-1-3-0", user: "e", status: .cancelled),
            order("us-1-1-0", user: "f", unit: "us-1"), order("us-1-1-1", user: "g", unit: "us-1"),
        ]
        let units = [
            UnitSaleStatus(unit: "eu-1", region: "eu", allocated: 6, rightsHeld: 2, sold: 5, orders: 4, lastSeen: epoch),
            UnitSaleStatus(unit: "us-1", region: "us", allocated: 4, rightsHeld: 2, sold: 2, orders: 2, lastSeen: epoch),
        ]
        let status = SaleStatus(
            sale: "tv", title: "TV", state: "open", startsAt: epoch, endsAt: epoch.addingTimeInterval(3_600), perUserLimit: 1,
            minted: 10, atCenter: 0, sold: 6, units: units)
        return ClusterReadBack(
            orders: orders, unitsRead: ["eu-1", "us-1"], unitsUnread: [:], status: status,
            regionOfUnit: ["eu-1": "eu", "us-1": "us"])
    }

    func failing(_ data: ClusterReadBack, limit: Int = 1, acknowledged: Set<String> = []) -> [String] {
        ClusterChecks.evaluate(data, perUserLimit: limit, acknowledged: acknowledged).filter { !$0.passed }.map(\.name)
    }

    @Test func aSoundClusterPassesEveryCheck() {
        let checks = ClusterChecks.evaluate(Self.sound(), perUserLimit: 1, acknowledged: ["eu-1-1-0", "us-1-1-1"])
        #expect(checks.count == 7)
        #expect(checks.allSatisfy { $0.passed }, "\(checks.filter { !$0.passed })")
        #expect(checks.first { $0.name == "stock conserved" }?.detail == "minted 10 = sold 6 + returned 0 + at units 4 + never allocated 0")
    }

    @Test func anOrderListedTwiceFailsTheDuplicateCheck() {
        var data = Self.sound()
        data.orders.append(Self.order("eu-1-1-0", user: "a"))
        #expect(failing(data).contains("no order twice"))
        #expect(ClusterChecks.noDuplicateOrders(data).detail.contains("eu-1-1-0"))
    }

    @Test func aBuyerHoldingTwoOrdersFailsTheLimitAcrossUnits() {
        var data = Self.sound()
        data.orders.append(Self.order("us-1-9-0", user: "a", unit: "us-1"))
        data.status.sold = 7
        data.status.units[1].rightsHeld = 1
        #expect(failing(data) == ["per-user limit"])
        #expect(failing(data, limit: 2).isEmpty, "the same orders are fine when the sale allows two each")
        // A cancelled order does not count against the limit.
        data.orders[data.orders.count - 1].status = .cancelled
        data.status.sold = 6
        data.status.units[1].rightsHeld = 2
        #expect(failing(data).isEmpty)
    }

    @Test func moreLiveOrdersThanMintedIsAnOversell() {
        var data = Self.sound()
        for index in 0..<5 { data.orders.append(Self.order("us-1-5-\(index)", user: "x\(index)", unit: "us-1")) }
        #expect(failing(data).contains("no oversell"))
        #expect(ClusterChecks.noOversell(data).detail == "11 orders hold stock, 10 minted")
    }

    @Test func anAcknowledgedOrderMissingFromTheLogsIsLost() {
        let data = Self.sound()
        #expect(failing(data, acknowledged: ["eu-1-1-0", "eu-1-9-9"]) == ["no acknowledged order lost"])
    }

    @Test func anAccountThatDoesNotCloseFailsConservation() {
        var data = Self.sound()
        data.status.units[0].rightsHeld = 3
        #expect(failing(data) == ["stock conserved"])
        data.status.units[0].rightsHeld = -1
        data.status.units[1].rightsHeld = 5
        #expect(failing(data) == ["stock conserved"], "the sum closes, but a node is below zero")
    }

    @Test func aCenterBehindTheLogsAndAnUnreadUnitAreReported() {
        var data = Self.sound()
        data.status.sold = 5
        data.status.units[0].rightsHeld = 3
        #expect(failing(data) == ["center's account matches the logs"])
        data = Self.sound()
        data.unitsUnread = ["ap-1": "connection refused"]
        #expect(failing(data) == ["every unit's orders read"])
    }
}
