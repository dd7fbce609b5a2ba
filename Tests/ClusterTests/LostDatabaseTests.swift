// A unit whose database is gone comes back without selling again what it sold before.

import ConfigCenterClient
import FlashSaleAPI
import Foundation
import GRDB
import Testing

extension ClusterProcessTests {
    @Suite struct LostDatabaseTests {
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

        /// A unit that sold stock a peer gave it, then lost its disk, sells again: the grants the config-center
        /// witnessed (its signed configuration carries them) count before what the unit sold is restored. Without
        /// them SQLite refused the restore (sold beyond the rights it knew of) and the unit stayed recovering.
        @Test func aUnitThatSoldAPeersStockComesBackAfterLosingItsDisk() async throws {
            try await LocalCluster.run { cluster in
                let secretFile = cluster.root + "/cluster-secret"
                try "a-test-cluster-secret-of-some-length".write(toFile: secretFile, atomically: true, encoding: .utf8)
                let unitArguments = [
                    "--cluster-secret-file", secretFile, "--gossip-interval-ms", "200", "--report-interval-ms", "300",
                    "--recovery-patience-ms", "3000",
                ]
                try await cluster.startCenter(extraArguments: ["--cluster-secret-file", secretFile])
                for region in ["eu-west", "us-east"] { _ = try await cluster.client.addRegion(RegionSpec(id: region)) }
                try await cluster.startUnit("eu-west-1", region: "eu-west", extraArguments: unitArguments)
                try await cluster.startUnit("us-east-1", region: "us-east", extraArguments: unitArguments)
                try await cluster.waitForRegistration(["eu-west-1", "us-east-1"])
                let now = Date()
                _ = try await cluster.client.createSale(
                    SaleSpec(id: "phone", title: "Phone", stock: 10, startsAt: now, endsAt: now.addingTimeInterval(3600)))
                _ = try await cluster.client.allocate(sale: "phone", AllocationSpec(counts: ["eu-west": 2, "us-east": 8]))
                try await cluster.waitForStock("eu-west-1", sale: "phone", stock: 2)
                try await cluster.waitForStock("us-east-1", sale: "phone", stock: 8)
                // Buyers at eu-west-1 only: it sells its 2, then what us-east-1 gives it.
                var sold = 0
                var request = 0
                let deadline = Date().addingTimeInterval(60)
                while sold < 6, request < 1_000, Date() < deadline {
                    request += 1
                    let status = try await cluster.purchase(at: "eu-west-1", sale: "phone", user: "first-\(request)").status
                    if status == 201 { sold += 1 } else { try await Task.sleep(for: .milliseconds(50)) }
                }
                #expect(sold == 6, "4 of them with stock us-east-1 gave")
                try await eventually("the center knows eu-west-1 sold 6") {
                    try await cluster.client.status(sale: "phone").units.first { $0.unit == "eu-west-1" }?.sold == 6
                }

                await cluster.stopUnit("eu-west-1")
                try FileManager.default.removeItem(atPath: cluster.root + "/units/eu-west-1")
                try await cluster.startUnit("eu-west-1", region: "eu-west", extraArguments: unitArguments)
                try await eventually("eu-west-1 took back its 6 sold and sells again") {
                    let ready = try await cluster.get(cluster.unitURL("eu-west-1") + "/readyz").status == 200
                    return try ready && Self.recoveredSold(in: cluster.unitDatabase("eu-west-1")) == 6
                }
                // The other 4 sell, and not one more, wherever the buyers go.
                var created = 0
                request = 0
                let end = Date().addingTimeInterval(60)
                while request < 2_000, Date() < end {
                    request += 1
                    let unit = request % 2 == 0 ? "eu-west-1" : "us-east-1"
                    let status = try await cluster.purchase(at: unit, sale: "phone", user: "second-\(request)").status
                    if status == 201 { created += 1 }
                    if status == 410 { break }
                    if status == 503 { try await Task.sleep(for: .milliseconds(20)) }
                }
                #expect(created == 4)
            }
        }

        @Test func peersGiveBackWhatTheConfigCenterHadNotHeardYet() async throws {
            try await LocalCluster.run { cluster in
                // The config-center hears from units only at registration here (no gossip, reports every 10 minutes),
                // so its copy of eu-west-1's row stays at zero sold; the peer learns it by gossip.
                let secretFile = cluster.root + "/cluster-secret"
                try "a-test-cluster-secret-of-some-length".write(toFile: secretFile, atomically: true, encoding: .utf8)
                let unitArguments = [
                    "--cluster-secret-file", secretFile, "--report-interval-ms", "600000", "--recovery-patience-ms", "60000",
                ]
                try await cluster.startCenter()
                for region in ["eu-west", "us-east"] { _ = try await cluster.client.addRegion(RegionSpec(id: region)) }
                try await cluster.startUnit("eu-west-1", region: "eu-west", extraArguments: unitArguments)
                try await cluster.startUnit("us-east-1", region: "us-east", extraArguments: unitArguments)
                try await cluster.waitForRegistration(["eu-west-1", "us-east-1"])
                let now = Date()
                _ = try await cluster.client.createSale(
                    SaleSpec(id: "phone", title: "Phone", stock: 20, startsAt: now, endsAt: now.addingTimeInterval(3600)))
                _ = try await cluster.client.allocate(sale: "phone", AllocationSpec(counts: ["eu-west": 10, "us-east": 10]))
                try await cluster.waitForStock("eu-west-1", sale: "phone", stock: 10)
                try await cluster.waitForStock("us-east-1", sale: "phone", stock: 10)
                for index in 0..<6 {
                    #expect(try await cluster.purchase(at: "eu-west-1", sale: "phone", user: "first-\(index)").status == 201)
                }
                try await eventually("us-east-1 has eu-west-1's row with 6 sold") {
                    try Self.consumed(of: "eu-west-1", in: cluster.unitDatabase("us-east-1")) == 6
                }
                let before = try await cluster.client.status(sale: "phone")
                #expect(before.units.first { $0.unit == "eu-west-1" }?.sold == 0, "the config-center's copy is stale")

                // The disk is lost; the config-center's copy says nothing was sold, the peer's copy says 6.
                await cluster.stopUnit("eu-west-1")
                try FileManager.default.removeItem(atPath: cluster.root + "/units/eu-west-1")
                try await cluster.startUnit("eu-west-1", region: "eu-west", extraArguments: unitArguments)
                try await eventually("eu-west-1 took back its 6 sold from its peer") {
                    try Self.recoveredSold(in: cluster.unitDatabase("eu-west-1")) == 6
                }

                // The other 14 sell, and not one more, whichever unit the buyers reach (the idle peer may have
                // given its stock to eu-west-1 by now: where it sells does not matter, how much does).
                var created = 0
                var request = 0
                let deadline = Date().addingTimeInterval(60)
                while request < 2_000, Date() < deadline {
                    request += 1
                    let unit = request % 2 == 0 ? "eu-west-1" : "us-east-1"
                    let status = try await cluster.purchase(at: unit, sale: "phone", user: "second-\(request)").status
                    if status == 201 { created += 1 }
                    if status == 410, unit == "eu-west-1" { break }
                    if status == 503 { try await Task.sleep(for: .milliseconds(20)) }
                }
                #expect(created == 14)
                let stored = try cluster.stored("eu-west-1", sale: "phone").orders + cluster.stored("us-east-1", sale: "phone").orders
                #expect(stored == 14, "6 orders went with the lost disk; 14 were taken since")
            }
        }

        /// What a unit took back, on a new database, of the orders it had sold before.
        private static func recoveredSold(in path: String) throws -> Int64? {
            try DatabaseQueue(path: path).read { db in
                try Int64.fetchOne(db, sql: "SELECT recovered_sold FROM unit_stock WHERE sale_id = 'phone'")
            }
        }

        /// A node's consumed count as another node's SQLite has it.
        private static func consumed(of node: String, in path: String) throws -> Int64? {
            try DatabaseQueue(path: path).read { db in
                try Int64.fetchOne(
                    db, sql: "SELECT consumed FROM ledger_row WHERE sale_id = 'phone' AND node_id = ?", arguments: [node])
            }
        }

        @Test func withTheConfigCenterDownANewDatabaseDoesNotSell() async throws {
            try await LocalCluster.run { cluster in
                // No config-center at all: the unit cannot know what it sold before, so it answers "recovering".
                try await cluster.startUnit("eu-west-9", region: "eu-west", enrol: false)
                let answer = try await cluster.purchase(at: "eu-west-9", sale: "phone", user: "someone")
                #expect(answer.status == 503)
            }
        }
    }
}
