// Three units in three regions with demand 80/15/5: stock follows the buyers and the whole stock sells.

import ConfigCenterClient
import FlashSaleAPI
import Foundation
import GRDB
import Testing

extension ClusterProcessTests {
    @Suite struct GossipRebalanceTests {
        @Test func busyRegionReceivesStockAndEverythingSells() async throws {
            try await LocalCluster.run(run)
        }

        private func run(_ cluster: LocalCluster) async throws {
            let stock: Int64 = 300
            let units = ["eu-west-1": "eu-west", "us-east-1": "us-east", "ap-south-1": "ap-south"]
            let secretFile = cluster.root + "/cluster-secret"
            try "a-test-cluster-secret-of-some-length".write(toFile: secretFile, atomically: true, encoding: .utf8)
            // The config-center gossips too, as node C.
            try await cluster.startCenter(extraArguments: ["--cluster-secret-file", secretFile])
            for region in Set(units.values) { _ = try await cluster.client.addRegion(RegionSpec(id: region)) }
            for (id, region) in units.sorted(by: { $0.key < $1.key }) {
                try await cluster.startUnit(
                    id, region: region, extraArguments: ["--cluster-secret-file", secretFile, "--gossip-interval-ms", "200"])
            }
            try await cluster.waitForRegistration(Array(units.keys))
            let now = Date()
            _ = try await cluster.client.createSale(
                SaleSpec(id: "phone", title: "Phone", stock: stock, startsAt: now, endsAt: now.addingTimeInterval(3600)))
            _ = try await cluster.client.allocate(sale: "phone", AllocationSpec(counts: ["eu-west": 100, "us-east": 100, "ap-south": 100]))
            for id in units.keys { try await cluster.waitForStock(id, sale: "phone", stock: 100) }

            // Buyers: 80% to eu-west, 15% to us-east, 5% to ap-south, each a new user, until the stock is gone.
            var created: [String: Int] = [:]
            var answers: [UInt: Int] = [:]
            var firstDryAt: Date?
            var firstTransferredSaleAt: Date?
            var request = 0
            let deadline = Date().addingTimeInterval(120)
            while created.values.reduce(0, +) < Int(stock), request < 40_000, Date() < deadline {
                request += 1
                let slot = request % 20
                let unit = slot < 16 ? "eu-west-1" : slot < 19 ? "us-east-1" : "ap-south-1"
                let answer = try await cluster.purchase(at: unit, sale: "phone", user: "buyer-\(request)")
                answers[answer.status, default: 0] += 1
                if answer.status == 201 {
                    created[unit, default: 0] += 1
                    if unit == "eu-west-1", firstDryAt != nil, firstTransferredSaleAt == nil { firstTransferredSaleAt = Date() }
                } else if answer.status == 503, unit == "eu-west-1", firstDryAt == nil {
                    firstDryAt = Date()
                }
                if answer.status == 503 { try await Task.sleep(for: .milliseconds(5)) }
            }
            print("gossip herd: \(request) requests, answers \(answers.sorted { $0.key < $1.key }), orders by unit \(created)")
            if let dry = firstDryAt, let refilled = firstTransferredSaleAt {
                let intervals = refilled.timeIntervalSince(dry) / 0.2
                print("eu-west-1 ran dry, then sold transferred stock after \(String(format: "%.1f", intervals)) gossip intervals")
            }

            // The config-center shows each unit's view: its demand, and what moved between units.
            try await eventually("the config-center sees the whole sale") {
                try await cluster.client.status(sale: "phone").sold == stock
            }
            let status = try await cluster.client.status(sale: "phone")
            let busy = try #require(status.units.first { $0.unit == "eu-west-1" })
            #expect(busy.receivedFromUnits > 0)
            #expect(status.units.filter { $0.unit != "eu-west-1" }.allSatisfy { $0.givenToUnits > 0 })
            #expect(status.units.allSatisfy { $0.demandPerSecond != nil })

            // The whole stock sold, nothing stranded, no oversell: each unit's SQLite agrees.
            #expect(created.values.reduce(0, +) == Int(stock))
            #expect((created["eu-west-1"] ?? 0) > 100, "the busy unit sold more than its own share")
            #expect(answers[410] == nil, "no buyer heard 'sold out' while stock remained somewhere")
            // Issue 16: the busy unit asks for stock as it runs dry and holds its buyers meanwhile, so hardly any buyer
            // hears "try again" (before pulls and holds, every dry moment was a 503 until a donor's next round).
            #expect(answers[503, default: 0] * 50 <= request, "at most 2 % of answers were 503")
            var storedTotal = 0
            for id in units.keys {
                let stored = try cluster.stored(id, sale: "phone")
                #expect(stored.orders == created[id, default: 0])
                #expect(stored.sold == Int64(stored.orders))
                storedTotal += stored.orders
                let (received, grantedOut) = try Self.flows(cluster.unitDatabase(id))
                #expect(stored.sold <= received - grantedOut, "\(id) sold more than it held")
            }
            #expect(storedTotal == Int(stock))
            // Each unit's /metrics tells the same story: its own orders, the gossip rounds it ran, and the stock it gave
            // away (the quiet units) or received (the busy one).
            var metrics: [String: [String: Double]] = [:]
            for id in units.keys { metrics[id] = Self.series(try await cluster.get(cluster.unitURL(id) + "/metrics").body) }
            for (id, series) in metrics {
                #expect(series["flashsale_purchases_total{outcome=\"created\"}"] == Double(created[id, default: 0]), "\(id)")
                #expect((series["flashsale_gossip_rounds_total"] ?? 0) > 0, "\(id)")
            }
            #expect((metrics["eu-west-1"]?["flashsale_rights_received_total"] ?? 0) > 0)
            // (Whether it also held buyers depends on timing: a pull made before it ran dry needs no hold.)
            #expect((metrics["eu-west-1"]?["flashsale_stock_pulls_total"] ?? 0) > 0, "the busy unit asked for stock")
            #expect((metrics["eu-west-1"]?["flashsale_grants_received_total"] ?? 0) > 0)
            for id in ["us-east-1", "ap-south-1"] {
                #expect((metrics[id]?["flashsale_grants_given_total{to=\"unit\"}"] ?? 0) > 0, "\(id)")
                #expect((metrics[id]?["flashsale_rights_given_total{to=\"unit\"}"] ?? 0) > 0, "\(id)")
            }
            // Once everything is sold, a buyer anywhere hears "sold out".
            try await eventually("sold out everywhere") {
                for id in units.keys where try await cluster.purchase(at: id, sale: "phone", user: "late-\(id)").status != 410 {
                    return false
                }
                return true
            }
        }

        @Test func atTheEndUnsoldStockGoesBackToTheCenterAndIsAccountedFor() async throws {
            try await LocalCluster.run { cluster in
                try await cluster.startCenter()
                _ = try await cluster.client.addRegion(RegionSpec(id: "eu-west"))
                _ = try await cluster.client.addRegion(RegionSpec(id: "us-east"))
                try await cluster.startUnit("eu-west-1", region: "eu-west")
                try await cluster.startUnit("us-east-1", region: "us-east")
                try await cluster.waitForRegistration(["eu-west-1", "us-east-1"])
                let now = Date()
                _ = try await cluster.client.createSale(
                    SaleSpec(id: "short", title: "Short", stock: 50, startsAt: now, endsAt: now.addingTimeInterval(4)))
                _ = try await cluster.client.allocate(sale: "short", AllocationSpec(counts: ["eu-west": 30, "us-east": 15]))
                try await cluster.waitForStock("eu-west-1", sale: "short", stock: 30)
                for index in 0..<7 {
                    #expect(try await cluster.purchase(at: "eu-west-1", sale: "short", user: "b\(index)").status == 201)
                }
                // After the end every unit returns what it did not sell; the center's account closes.
                try await eventually("unsold stock returned") {
                    let status = try await cluster.client.status(sale: "short")
                    return status.returned == 38 && status.units.allSatisfy { $0.rightsHeld == 0 }
                }
                let status = try await cluster.client.status(sale: "short")
                #expect(status.state == "ended" && status.sold == 7 && status.minted == 50 && status.atCenter == 43)
                #expect(status.units.first { $0.unit == "eu-west-1" }?.returned == 23)
                #expect(status.units.first { $0.unit == "us-east-1" }?.returned == 15)
                #expect(try await cluster.purchase(at: "us-east-1", sale: "short", user: "late").status == 409)
                for id in ["eu-west-1", "us-east-1"] {
                    let (received, grantedOut) = try Self.flows(cluster.unitDatabase(id), sale: "short")
                    #expect(received - grantedOut == Int64(try cluster.stored(id, sale: "short").orders))
                }
            }
        }

        /// The series of a Prometheus text exposition, by name and labels as printed.
        private static func series(_ text: Data) -> [String: Double] {
            var values: [String: Double] = [:]
            for line in String(decoding: text, as: UTF8.self).split(separator: "\n") where !line.hasPrefix("#") {
                guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
                values[String(line[..<space])] = value
            }
            return values
        }

        private static func flows(_ path: String, sale: String = "phone") throws -> (received: Int64, grantedOut: Int64) {
            let queue = try DatabaseQueue(path: path)
            return try queue.read { db in
                let row = try Row.fetchOne(db, sql: "SELECT received, granted_out FROM unit_stock WHERE sale_id = ?", arguments: [sale])
                return (row?["received"] ?? -1, row?["granted_out"] ?? -1)
            }
        }
    }
}
