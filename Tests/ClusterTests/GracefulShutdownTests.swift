// SIGTERM during a herd: the unit stops taking purchases, commits what it admitted, and exits cleanly.

import ConfigCenterClient
import FlashSaleAPI
import Foundation
import Testing

@Suite(.serialized) struct GracefulShutdownTests {
    @Test func sigtermDuringAHerdCommitsEveryAdmittedOrderAndExitsCleanly() async throws {
        try await LocalCluster.run { cluster in
            let stock: Int64 = 500
            try await cluster.startCenter()
            _ = try await cluster.client.addRegion(RegionSpec(id: "eu-west"))
            try await cluster.startUnit("eu-west-1", region: "eu-west")
            try await cluster.waitForRegistration(["eu-west-1"])
            let now = Date()
            _ = try await cluster.client.createSale(
                SaleSpec(id: "phone", title: "Phone", stock: stock, startsAt: now, endsAt: now.addingTimeInterval(3600)))
            _ = try await cluster.client.allocate(sale: "phone", AllocationSpec(counts: ["eu-west": stock]))
            try await cluster.waitForStock("eu-west-1", sale: "phone", stock: stock)

            let acknowledged = Shared<Set<String>>([])
            let http = cluster.http
            let unitURL = cluster.unitURL("eu-west-1")
            let exitStatus = Shared<Int32?>(nil)
            await withTaskGroup(of: Void.self) { group in
                let next = Shared(0)
                for _ in 0..<32 {
                    group.addTask {
                        while true {
                            let index = next.withLock { value -> Int in
                                value += 1
                                return value
                            }
                            guard index <= 5_000,
                                let answer = try? await LocalCluster.purchase(
                                    http: http, unitURL: unitURL, sale: "phone", user: "buyer-\(index)")
                            else { return }
                            if let order = answer.order { acknowledged.withLock { _ = $0.insert(order.id) } }
                        }
                    }
                }
                try? await eventually("100 orders acknowledged", seconds: 60) { acknowledged.withLock { $0.count } >= 100 }
                let status = await cluster.unitProcess("eu-west-1")?.terminate()
                exitStatus.withLock { $0 = status }
                await group.waitForAll()
            }
            #expect(exitStatus.withLock { $0 } == 0, "a clean exit on SIGTERM")
            let acked = acknowledged.withLock { $0 }
            let onDisk = try cluster.stored("eu-west-1", sale: "phone")
            #expect(acked.isSubset(of: onDisk.orderIDs), "every acknowledged order was committed before the exit")
            #expect(onDisk.sold == Int64(onDisk.orders) && onDisk.sold <= stock)
            let log = cluster.unitLog("eu-west-1")
            #expect(!log.contains("order not persisted"), "nothing admitted was dropped")
        }
    }
}
