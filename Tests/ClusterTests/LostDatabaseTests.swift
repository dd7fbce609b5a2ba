// A unit whose database is gone comes back without selling again what it sold before.

import ConfigCenterClient
import FlashSaleAPI
import Foundation
import Testing

@Suite(.serialized) struct LostDatabaseTests {
    @Test func aUnitRestartedOnAnEmptyDatabaseTakesItsCountersBackBeforeSelling() async throws {
        try await LocalCluster.run { cluster in
            try await cluster.startCenter()
            _ = try await cluster.client.addRegion(RegionSpec(id: "eu-west"))
            try await cluster.startUnit("eu-west-1", region: "eu-west")
            try await cluster.waitForRegistration(["eu-west-1"])
            let now = Date()
            _ = try await cluster.client.createSale(
                SaleSpec(id: "phone", title: "Phone", stock: 10, startsAt: now, endsAt: now.addingTimeInterval(3600)))
            _ = try await cluster.client.allocate(sale: "phone", AllocationSpec(counts: ["eu-west": 10]))
            try await cluster.waitForStock("eu-west-1", sale: "phone", stock: 10)
            for index in 0..<6 {
                #expect(try await cluster.purchase(at: "eu-west-1", sale: "phone", user: "first-\(index)").status == 201)
            }
            try await eventually("the center knows of 6 orders") { try await cluster.client.status(sale: "phone").sold == 6 }

            // The disk is lost.
            await cluster.stopUnit("eu-west-1")
            try FileManager.default.removeItem(atPath: cluster.root + "/units/eu-west-1")
            try await cluster.startUnit("eu-west-1", region: "eu-west")
            try await cluster.waitForStock("eu-west-1", sale: "phone", stock: 4)
            var answers: [UInt: Int] = [:]
            for index in 0..<8 {
                answers[try await cluster.purchase(at: "eu-west-1", sale: "phone", user: "second-\(index)").status, default: 0] += 1
            }
            #expect(answers == [201: 4, 410: 4], "only the 4 it had not sold")
            try await eventually("the center sees 10 sold, none left") {
                let status = try await cluster.client.status(sale: "phone")
                return status.sold == 10 && status.units.first?.rightsHeld == 0
            }
        }
    }

    @Test func withTheConfigCenterDownANewDatabaseDoesNotSell() async throws {
        try await LocalCluster.run { cluster in
            // No config-center at all: the unit cannot know what it sold before, so it answers "recovering".
            try await cluster.startUnit("eu-west-9", region: "eu-west")
            let answer = try await cluster.purchase(at: "eu-west-9", sale: "phone", user: "someone")
            #expect(answer.status == 503)
        }
    }
}
