// The per-user limit while a region's units change during a sale: a unit that joins owns none of the sale's buyers.

import ConfigCenterClient
import FlashSaleAPI
import Foundation
import GRDB
import Testing

extension ClusterProcessTests {
    @Suite struct MembershipChangeTests {
        /// 30 buyers each buy their one unit at eu-west-1, the region's only unit. Then eu-west-2 joins the region
        /// mid-sale and is given stock of its own. Every buyer tries again at both units: none gets a second order (the
        /// newcomer sends them all to eu-west-1, which knows their orders). A sale created after eu-west-2 joined has
        /// it among its owners.
        @Test func aUnitThatJoinsMidSaleOwnsNoneOfItsBuyers() async throws {
            try await LocalCluster.run { cluster in
                try await cluster.startCenter()
                _ = try await cluster.client.addRegion(RegionSpec(id: "eu-west"))
                try await cluster.startUnit("eu-west-1", region: "eu-west")
                try await cluster.waitForRegistration(["eu-west-1"])
                let now = Date()
                _ = try await cluster.client.createSale(
                    SaleSpec(id: "phone", title: "Phone", stock: 30, startsAt: now, endsAt: now.addingTimeInterval(3600)))
                _ = try await cluster.client.allocate(sale: "phone", AllocationSpec(counts: ["eu-west": 30]))
                try await cluster.waitForStock("eu-west-1", sale: "phone", stock: 30)
                let buyers = (1...30).map { "member-buyer-\($0)" }
                for buyer in buyers {
                    let first = try await cluster.purchase(at: "eu-west-1", sale: "phone", user: buyer)
                    try #require(first.status == 201, "\(buyer): \(first.status)")
                }

                // eu-west-2 joins the region and gets stock of this sale.
                try await cluster.startUnit("eu-west-2", region: "eu-west")
                try await cluster.waitForRegistration(["eu-west-1", "eu-west-2"])
                _ = try await cluster.client.restock(sale: "phone", RestockSpec(amount: 40))
                _ = try await cluster.client.allocate(sale: "phone", AllocationSpec(counts: ["eu-west": 40]))
                try await cluster.waitForStock("eu-west-2", sale: "phone", stock: 20)

                var answers: [UInt: Int] = [:]
                for buyer in buyers {
                    for unit in ["eu-west-2", "eu-west-1"] {
                        answers[try await cluster.purchase(at: unit, sale: "phone", user: buyer).status, default: 0] += 1
                    }
                }
                #expect(answers[201] == nil, "nobody bought twice: \(answers)")
                #expect(answers[421] == 30, "the newcomer sent every buyer to eu-west-1: \(answers)")
                #expect(answers[409] == 30, "eu-west-1 knows each buyer's order: \(answers)")
                #expect(try cluster.stored("eu-west-2", sale: "phone").orders == 0)
                #expect(try cluster.stored("eu-west-1", sale: "phone").orders == 30)

                // A sale that opens after eu-west-2 joined is owned by both units: some buyers are eu-west-2's.
                _ = try await cluster.client.createSale(
                    SaleSpec(id: "tablet", title: "Tablet", stock: 40, startsAt: Date(), endsAt: Date().addingTimeInterval(3600)))
                _ = try await cluster.client.allocate(sale: "tablet", AllocationSpec(counts: ["eu-west": 40]))
                try await cluster.waitForStock("eu-west-2", sale: "tablet", stock: 20)
                var soldAtNewcomer = 0
                for buyer in buyers where try await cluster.purchase(at: "eu-west-2", sale: "tablet", user: buyer).status == 201 {
                    soldAtNewcomer += 1
                }
                #expect(soldAtNewcomer > 0 && soldAtNewcomer < 30, "eu-west-2 owns some of the new sale's buyers: \(soldAtNewcomer)")
            }
        }
    }
}
