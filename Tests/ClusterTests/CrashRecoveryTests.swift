// kill -9 a unit in the middle of a herd: every order it acknowledged survives, and it never oversells.

import ConfigCenterClient
import FlashSaleAPI
import Foundation
import Synchronization
import Testing

extension ClusterProcessTests {
    @Suite struct CrashRecoveryTests {
        @Test func killNineDuringAHerdLosesNoAcknowledgedOrderAndNeverOversells() async throws {
            try await LocalCluster.run(run)
        }

        private func run(_ cluster: LocalCluster) async throws {
            let stock: Int64 = 300
            try await cluster.startCenter()
            _ = try await cluster.client.addRegion(RegionSpec(id: "eu-west"))
            try await cluster.startUnit("eu-west-1", region: "eu-west")
            try await cluster.waitForRegistration(["eu-west-1"])
            let now = Date()
            _ = try await cluster.client.createSale(
                SaleSpec(id: "phone", title: "Phone", stock: stock, startsAt: now, endsAt: now.addingTimeInterval(3600)))
            _ = try await cluster.client.allocate(sale: "phone", AllocationSpec(counts: ["eu-west": stock]))
            try await cluster.waitForStock("eu-west-1", sale: "phone", stock: stock)

            // First herd: distinct users, 32 at a time; kill -9 the unit once 100 orders were acknowledged.
            let acknowledged = Shared<[String: String]>([:])  // order id -> user
            let killAfter = 100
            let http = cluster.http
            let unitURL = cluster.unitURL("eu-west-1")
            await withTaskGroup(of: Void.self) { group in
                let next = Shared(0)
                for _ in 0..<32 {
                    group.addTask {
                        while true {
                            let index = next.withLock { value -> Int in
                                value += 1
                                return value
                            }
                            guard index <= 2_000 else { return }
                            guard let answer = try? await LocalCluster.purchase(
                                http: http, unitURL: unitURL, sale: "phone", user: "first-\(index)") else {
                                return  // the unit is gone
                            }
                            if let order = answer.order { acknowledged.withLock { $0[order.id] = order.user } }
                        }
                    }
                }
                try? await eventually("\(killAfter) orders acknowledged", seconds: 60) {
                    acknowledged.withLock { $0.count } >= killAfter
                }
                await cluster.kill9("eu-west-1")
                await group.waitForAll()
            }
            let acked = acknowledged.withLock { $0 }
            #expect(acked.count >= killAfter)

            // On disk, before the restart: every acknowledged order, counters that match, nothing over the rights.
            let onDisk = try cluster.stored("eu-west-1", sale: "phone")
            #expect(Set(acked.keys).isSubset(of: onDisk.orderIDs))
            #expect(onDisk.sold == Int64(onDisk.orders))
            #expect(onDisk.received == stock)
            #expect(onDisk.sold <= stock)

            // Second life: the same orders, the same per-user answers, and exactly the rest of the stock.
            try await cluster.startUnit("eu-west-1", region: "eu-west")
            try await cluster.waitForStock("eu-west-1", sale: "phone", stock: stock - onDisk.sold)
            for (id, user) in acked.prefix(20) {
                let (status, body) = try await cluster.get(cluster.unitURL("eu-west-1") + "/v1/orders/\(id)", consumer: true)
                #expect(status == 200)
                #expect(try WireJSON.decoder.decode(OrderView.self, from: body).user == user)
                // With a new Idempotency-Key, so the answer is the per-user limit's even when the first herd sold
                // everything before the kill (without a key a sold-out sale answers 410 before anything else).
                let again = try await cluster.purchase(at: "eu-west-1", sale: "phone", user: user, idempotencyKey: "again-\(user)")
                #expect(again.status == 409, "\(user): \(again.status) (sold before the kill: \(onDisk.sold) of \(stock))")
            }
            var created = 0
            var soldOut = 0
            for index in 0..<Int(stock) + 20 {
                let answer = try await cluster.purchase(at: "eu-west-1", sale: "phone", user: "second-\(index)")
                if answer.status == 201 { created += 1 } else if answer.status == 410 { soldOut += 1 }
            }
            #expect(Int64(created) == stock - onDisk.sold)
            #expect(soldOut == Int(stock) + 20 - created)
            let final = try cluster.stored("eu-west-1", sale: "phone")
            #expect(final.orders == Int(stock))
            #expect(final.sold == stock)
        }
    }
}
