// Buyer filters across real processes: one user against every unit of every region, key rotation and the
// blacklist reaching running units without a restart.

import ConfigCenterClient
import FlashSaleAPI
import Foundation
import GRDB
import Testing

extension ClusterProcessTests {
    @Suite struct AdmissionClusterTests {
        static let units = ["eu-west-1": "eu-west", "eu-west-2": "eu-west", "us-east-1": "us-east", "us-east-2": "us-east"]

        /// A center and four units in two regions, and a token-only sale of `stock` created with the CLI.
        private func start(_ cluster: LocalCluster, stock: Int = 40) async throws {
            try await cluster.startCenter()
            for region in ["eu-west", "us-east"] { #expect(try await cluster.cli(["region", "add", region]).status == 0) }
            for (id, region) in Self.units.sorted(by: { $0.key < $1.key }) { try await cluster.startUnit(id, region: region) }
            try await cluster.waitForRegistration(Array(Self.units.keys))
            let created = try await cluster.cli([
                "sale", "create", "phone", "--title", "Phone", "--stock", "\(stock)", "--require-token", "--user-rate", "100/20",
            ])
            #expect(created.status == 0, "\(created.err)")
            #expect(try await cluster.cli(["allocate", "phone", "eu-west=50%", "us-east=50%"]).status == 0)
            for id in Self.units.keys { try await cluster.waitForStock(id, sale: "phone", stock: Int64(stock / 4)) }
        }

        private func tokens(_ cluster: LocalCluster, user: String, region: String, count: Int) async throws -> [String] {
            let minted = try await cluster.cli(["token", "mint", "--user", user, "--region", region, "--count", "\(count)"])
            #expect(minted.status == 0, "\(minted.err)")
            return minted.out.split(separator: "\n").map(String.init)
        }

        @Test func eachUserBuysOnceWhicheverUnitsTheyTry() async throws {
            try await LocalCluster.run { cluster in
                try await start(cluster)
                let buyers = try await tokens(cluster, user: "eu-buyer", region: "eu-west", count: 12)
                    + tokens(cluster, user: "us-buyer", region: "us-east", count: 12)
                #expect(buyers.count == 24)
                var created: [String: Int] = [:]
                for token in buyers {
                    // Every unit of every region, twice, in a different order per buyer.
                    for id in (Self.units.keys.sorted() + Self.units.keys.sorted().reversed()) {
                        let answer = try await cluster.purchase(url: cluster.unitURL(id), sale: "phone", token: token)
                        switch answer.status {
                        case 201:
                            created[try #require(answer.order).user, default: 0] += 1
                        case 421:
                            let problem = try #require(answer.problem)
                            #expect(problem.code == .wrongRegion || problem.code == .wrongUnit)
                            #expect(problem.endpoint != nil, "a misdirected buyer is told where to go")
                        case 409:
                            #expect(answer.problem?.code == .alreadyBought)
                        default:
                            Issue.record("unexpected \(answer.status) \(answer.problem?.code.rawValue ?? "")")
                        }
                    }
                }
                #expect(created.count == 24 && created.values.allSatisfy { $0 == 1 }, "\(created)")

                // Following the endpoint of a wrong-unit answer reaches the owner, which knows the buyer already bought.
                let token = buyers[0]
                let wrong = try await cluster.purchase(url: cluster.unitURL("us-east-1"), sale: "phone", token: token)
                #expect(wrong.problem?.code == .wrongRegion)
                var hops = 0
                var url = cluster.unitURL("eu-west-1")
                var answer = try await cluster.purchase(url: url, sale: "phone", token: token)
                while answer.status == 421, hops < 2, let endpoint = answer.problem?.endpoint {
                    hops += 1
                    url = endpoint
                    answer = try await cluster.purchase(url: url, sale: "phone", token: token)
                }
                #expect(answer.problem?.code == .alreadyBought)

                // SQLite of every unit: each buyer appears in exactly one unit's orders, once.
                var stored: [String: Int] = [:]
                for id in Self.units.keys {
                    let users = try await DatabaseQueue(path: cluster.unitDatabase(id)).read { db in
                        try String.fetchAll(db, sql: "SELECT user_id FROM orders WHERE sale_id = 'phone'")
                    }
                    for user in users { stored[user, default: 0] += 1 }
                }
                #expect(stored == created)
            }
        }

        @Test func rotatedKeysAndTheBlacklistReachRunningUnits() async throws {
            try await LocalCluster.run { cluster in
                try await start(cluster)
                // One unit in each region suffices: find which unit owns each buyer by asking one and following.
                let before = try await tokens(cluster, user: "early", region: "eu-west", count: 2)
                #expect(try await buyAtOwner(cluster, token: before[0]).status == 201)
                let pid = cluster.units["eu-west-1"]?.pid

                #expect(try await cluster.cli(["token", "rotate"]).status == 0)
                #expect(try await cluster.cli(["token", "rotate"]).status == 0)
                // Two rotations: the first key is gone; units learn it by long-poll, without a restart.
                try await eventually("units refuse tokens of the dropped key") {
                    let answer = try await buyAtOwner(cluster, token: before[1])
                    return answer.status == 401 && answer.problem?.code == .tokenInvalid
                }
                let after = try await tokens(cluster, user: "late", region: "eu-west", count: 1)
                #expect(try await buyAtOwner(cluster, token: after[0]).status == 201)

                let listed = try await tokens(cluster, user: "mallory", region: "eu-west", count: 1)
                #expect(try await cluster.cli(["blacklist", "add", "mallory-1"]).status == 0)
                try await eventually("units refuse the blacklisted user") {
                    try await buyAtOwner(cluster, token: listed[0]).problem?.code == .blacklisted
                }
                #expect(try await cluster.cli(["blacklist", "remove", "mallory-1"]).status == 0)
                // Let in again means past the blacklist to the desk: a new order, or "already bought" when one of the
                // attempts above came before its unit had learned of the blacklist (a race a loaded machine once lost).
                try await eventually("units let the user buy again") {
                    let answer = try await buyAtOwner(cluster, token: listed[0])
                    return answer.status == 201 || answer.problem?.code == .alreadyBought
                }
                #expect(cluster.units["eu-west-1"]?.pid == pid, "no unit was restarted")
            }
        }

        /// Buys at eu-west-1, following a wrong-unit answer to the owner.
        private func buyAtOwner(_ cluster: LocalCluster, token: String) async throws -> (status: UInt, problem: Problem?, order: OrderView?) {
            let first = try await cluster.purchase(url: cluster.unitURL("eu-west-1"), sale: "phone", token: token)
            guard first.status == 421, first.problem?.code == .wrongUnit, let endpoint = first.problem?.endpoint else { return first }
            return try await cluster.purchase(url: endpoint, sale: "phone", token: token)
        }
    }
}
