// A unit that goes down for good mid-sale: its buyers are served by the region's other units, within their limit.

import FlashSaleAPI
import FlashSaleCore
import Foundation
import GRDB
import Testing

extension ClusterProcessTests {
    @Suite struct TakeoverTests {
        static let units = ["eu-west-1", "eu-west-2", "eu-west-3"]

        /// Three units own a sale's buyers; 36 buyers buy their one unit each (limit 1), each 201 only after the
        /// buyer's guardian holds its copy. eu-west-3 is killed for good. The config-center retires it once it has been
        /// silent 2 s, and each of its buyers is served by the unit that guarded them: another purchase is refused
        /// (409 already-bought: the copy counts), a retry with the first key gets the first order back, and buyers
        /// who had bought nothing buy there. Restarted, eu-west-3 sends its former buyers on (421) and keeps the orders
        /// it acknowledged.
        @Test func aDeadUnitsBuyersAreServedByItsSuccessors() async throws {
            try await LocalCluster.run { cluster in
                try await cluster.startCenter(extraArguments: ["--retire-after", "2"])
                _ = try await cluster.client.addRegion(RegionSpec(id: "eu-west"))
                for unit in Self.units {
                    try await cluster.startUnit(unit, region: "eu-west", extraArguments: ["--report-interval-ms", "200"])
                }
                try await cluster.waitForRegistration(Self.units)
                let now = Date()
                _ = try await cluster.client.createSale(
                    SaleSpec(id: "phone", title: "Phone", stock: 300, startsAt: now, endsAt: now.addingTimeInterval(3600)))
                _ = try await cluster.client.allocate(sale: "phone", AllocationSpec(counts: ["eu-west": 300]))
                for unit in Self.units { try await cluster.waitForStock(unit, sale: "phone", stock: 100) }

                let owner = { (user: String, among: [String]) in UnitOwnership.owner(of: user, among: among) ?? "" }
                let buyers = (1...36).map { "takeover-buyer-\($0)" }
                var firstOrders: [String: String] = [:]
                for buyer in buyers {
                    let bought = try await cluster.purchase(
                        at: owner(buyer, Self.units), sale: "phone", user: buyer, idempotencyKey: "\(buyer)-first")
                    try #require(bought.status == 201, "\(buyer): \(bought.status)")
                    firstOrders[buyer] = bought.order?.id
                }
                let orphans = buyers.filter { owner($0, Self.units) == "eu-west-3" }
                try #require(!orphans.isEmpty)
                let acknowledgedAtDead = try cluster.stored("eu-west-3", sale: "phone").orders

                await cluster.kill9("eu-west-3")
                let survivors = ["eu-west-1", "eu-west-2"]
                // Until the retirement reaches the survivors they send eu-west-3's buyers back to it (421).
                let probe = try #require(orphans.first)
                try await eventually("eu-west-3 retired and its buyers taken over", seconds: 30) {
                    try await cluster.purchase(at: owner(probe, survivors), sale: "phone", user: probe).status == 409
                }
                for buyer in orphans {
                    let successor = owner(buyer, survivors)
                    // Each survivor takes its share over once it has the view and has sent the copies it now owes its
                    // own guardian; until then a buyer hears 503 custody-pending, and tries again, as the answer says.
                    var again = try await cluster.purchase(at: successor, sale: "phone", user: buyer, idempotencyKey: "\(buyer)-second")
                    for _ in 0..<50 where again.status == 503 {
                        try await Task.sleep(for: .milliseconds(100))
                        again = try await cluster.purchase(at: successor, sale: "phone", user: buyer, idempotencyKey: "\(buyer)-second")
                    }
                    #expect(again.status == 409, "\(buyer) bought a second unit at \(successor): \(again.status)")
                    let replay = try await cluster.purchase(at: successor, sale: "phone", user: buyer, idempotencyKey: "\(buyer)-first")
                    #expect(replay.status == 201 && replay.order?.id == firstOrders[buyer], "\(buyer)'s first key: \(replay.status)")
                }
                // Buyers of eu-west-3 who had bought nothing buy at its successors.
                let newcomers = (1...300).map { "takeover-newcomer-\($0)" }.filter { owner($0, Self.units) == "eu-west-3" }.prefix(10)
                for buyer in newcomers {
                    let bought = try await cluster.purchase(at: owner(buyer, survivors), sale: "phone", user: buyer)
                    #expect(bought.status == 201, "\(buyer) at \(owner(buyer, survivors)): \(bought.status)")
                }

                // Back, but retired for the rest of the sale: it sends its former buyers on and keeps what it acknowledged.
                try await cluster.startUnit("eu-west-3", region: "eu-west", extraArguments: ["--report-interval-ms", "200"])
                try await eventually("eu-west-3 knows it was retired", seconds: 30) {
                    try await cluster.purchase(at: "eu-west-3", sale: "phone", user: probe).status == 421
                }
                #expect(try cluster.stored("eu-west-3", sale: "phone").orders == acknowledgedAtDead)
                let reserved = try await DatabaseQueue(path: cluster.unitDatabase("eu-west-3")).read { db in
                    try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM orders WHERE sale_id = 'phone' AND status = 'reserved'") ?? -1
                }
                #expect(reserved == acknowledgedAtDead, "no acknowledged order was cancelled")
            }
        }
    }
}
