// The herd rehearsal tool against real processes: its report agrees with the units' SQLite, every check passes on a
// sound cluster, and its exit codes tell a script what happened.

import Foundation
import GRDB
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension ClusterProcessTests {
    @Suite struct HerdRehearsalTests {
        /// The members of herd's --json report these tests read.
        struct Report: Decodable {
            struct Check: Decodable {
                var name: String
                var passed: Bool
                var detail: String
            }
            struct Cluster: Decodable {
                var liveOrders: Int
                var liveOrdersByUnit: [String: Int]
                var minted: Int64
                var sold: Int64
            }
            var buyersStarted: Int
            var buyersPlannedByRegion: [String: Int]
            var orders: Int
            var ordersByRegion: [String: Int]
            var ordersByUnit: [String: Int]
            var outcomes: [String: Int]
            var requests: Int
            var tokensMinted: Int
            var challengesSolved: Int
            var cluster: Cluster
            var checks: [Check]
            var passed: Bool
        }

        /// Runs the built `herd` with `arguments`; its exit status and output. Polls, so no shared thread blocks.
        /// With the first admin's credential of `cluster` (herd mints buyer tokens, an admin's right), or none.
        static func runHerd(_ arguments: [String], cluster: LocalCluster?) async throws -> (status: Int32, out: String, err: String) {
            var environment: [String: String] = [:]
            environment["FLASHSALE_CREDENTIAL_FILE"] = cluster?.credentialFile
            environment["FLASHSALE_ORDERS_CREDENTIAL_FILE"] = cluster?.ordersCredentialFile
            environment["FLASHSALE_CA_FILE"] = cluster?.caFile
            // The herd bounds itself (--time-limit); the limit here only stops a hung one from holding the suite.
            return try await runProgram(try Binaries.path("herd"), arguments, environment: environment, timeLimit: .seconds(120))
        }

        /// 120 buyers for 40 units of stock in two regions (eu-west with two units, us-east with one), tokens required:
        /// every unit sells exactly what it was given, and the report's figures are the ones in the units' SQLite.
        @Test func aCrowdLargerThanTheStockBuysItAllAndTheReportMatchesSQLite() async throws {
            try await LocalCluster.run { cluster in
                try await cluster.startCenter()
                for region in ["eu-west", "us-east"] { #expect(try await cluster.cli(["region", "add", region]).status == 0) }
                let units = ["eu-west-1": "eu-west", "eu-west-2": "eu-west", "us-east-1": "us-east"]
                for (id, region) in units.sorted(by: { $0.key < $1.key }) { try await cluster.startUnit(id, region: region) }
                try await cluster.waitForRegistration(Array(units.keys))
                let created = try await cluster.cli(["sale", "create", "tv", "--title", "TV", "--stock", "40", "--require-token"])
                #expect(created.status == 0, "\(created.err)")
                #expect(try await cluster.cli(["allocate", "tv", "eu-west=50%", "us-east=50%"]).status == 0)
                try await cluster.waitForStock("eu-west-1", sale: "tv", stock: 10)
                try await cluster.waitForStock("eu-west-2", sale: "tv", stock: 10)
                try await cluster.waitForStock("us-east-1", sale: "tv", stock: 20)

                let json = cluster.root + "/herd.json"
                let html = cluster.root + "/herd.html"
                let run = try await Self.runHerd(
                    [
                        "--center", cluster.centerURL, "--sale", "tv", "--buyers", "120", "--concurrency", "16",
                        "--split", "eu-west=60,us-east=40", "--time-limit", "30", "--retries", "3", "--settle-seconds", "15",
                        "--json", json, "--html", html,
                    ], cluster: cluster)
                #expect(run.status == 0, "herd failed:\n\(run.out)\n\(run.err)")
                #expect(run.out.contains("all 7 checks passed"), "\(run.out)")
                #expect(run.err.contains("buyers"), "the progress line goes to stderr")

                let report = try JSONDecoder().decode(Report.self, from: Data(contentsOf: URL(fileURLWithPath: json)))
                #expect(report.passed)
                #expect(report.checks.count == 7 && report.checks.allSatisfy { $0.passed }, "\(report.checks.filter { !$0.passed })")
                #expect(report.tokensMinted == 120)
                #expect(report.buyersStarted == 120)
                #expect(report.buyersPlannedByRegion == ["eu-west": 72, "us-east": 48])
                #expect(report.outcomes.values.reduce(0, +) == 120)
                #expect(report.outcomes["ordered"] == 40)
                #expect(report.orders == 40)
                #expect(report.ordersByRegion == ["eu-west": 20, "us-east": 20])
                #expect(report.ordersByRegion.values.reduce(0, +) == report.orders)
                #expect(report.requests >= 120)
                #expect(report.cluster.liveOrders == 40 && report.cluster.minted == 40 && report.cluster.sold == 40)

                // The units' own databases, read directly: the same orders per unit as the herd counted.
                var stored = 0
                for id in units.keys {
                    let counts = try cluster.stored(id, sale: "tv")
                    stored += counts.orders
                    #expect(report.ordersByUnit[id] == counts.orders, "\(id)")
                    #expect(report.cluster.liveOrdersByUnit[id] == counts.orders, "\(id)")
                    let distinctUsers = try await DatabaseQueue(path: cluster.unitDatabase(id)).read { db in
                        try Int.fetchOne(db, sql: "SELECT COUNT(DISTINCT user_id) FROM orders WHERE sale_id = 'tv'") ?? -1
                    }
                    #expect(distinctUsers == counts.orders, "one order per buyer at \(id)")
                }
                #expect(stored == 40)

                let page = try String(contentsOfFile: html, encoding: .utf8)
                #expect(page.contains("<svg") && page.contains("eu-west (20)") && page.contains("us-east (20)"))
                #expect(!page.contains("<script"))
            }
        }

        /// A sale with tokens, an eligibility rule and proof of work: the herd mints tokens that pass the rule, solves a
        /// challenge per purchase at the unit that checks it, and buys the whole stock.
        @Test func theHerdSolvesChallengesAndMeetsEligibilityRules() async throws {
            try await LocalCluster.run { cluster in
                try await cluster.startCenter()
                #expect(try await cluster.cli(["region", "add", "eu-west"]).status == 0)
                try await cluster.startUnit("eu-west-1", region: "eu-west")
                try await cluster.waitForRegistration(["eu-west-1"])
                let created = try await cluster.cli([
                    "sale", "create", "pow", "--title", "PoW", "--stock", "6", "--require-token", "--min-level", "3",
                    "--min-account-age-days", "30", "--captcha-difficulty", "2000",
                ])
                #expect(created.status == 0, "\(created.err)")
                #expect(try await cluster.cli(["allocate", "pow", "eu-west=100%"]).status == 0)
                try await cluster.waitForStock("eu-west-1", sale: "pow", stock: 6)

                let json = cluster.root + "/pow.json"
                let run = try await Self.runHerd(
                    [
                        "--center", cluster.centerURL, "--sale", "pow", "--buyers", "15", "--concurrency", "4",
                        "--time-limit", "30", "--quiet", "--json", json,
                    ], cluster: cluster)
                #expect(run.status == 0, "herd failed:\n\(run.out)\n\(run.err)")
                #expect(run.err.isEmpty, "--quiet: nothing on stderr, got \(run.err)")
                let report = try JSONDecoder().decode(Report.self, from: Data(contentsOf: URL(fileURLWithPath: json)))
                #expect(report.orders == 6)
                #expect(report.outcomes["ordered"] == 6)
                #expect(report.outcomes.keys.allSatisfy { !$0.contains("level") && !$0.contains("captcha") }, "\(report.outcomes)")
                #expect(report.challengesSolved >= 15, "one solved challenge per purchase request")
                #expect(report.passed)
            }
        }

        /// Exit codes: 69 when the config-center does not answer, 1 when it knows no such sale, 64 on bad usage.
        @Test func exitCodesTellWhatWentWrong() async throws {
            try await LocalCluster.run { cluster in
                let unreachable = try await Self.runHerd(
                    ["--center", "http://127.0.0.1:\(try freePort())", "--sale", "tv", "--quiet"], cluster: nil)
                #expect(unreachable.status == 69, "\(unreachable.err)")
                #expect(unreachable.err.contains("unreachable"))

                try await cluster.startCenter()
                let unknown = try await Self.runHerd(["--center", cluster.centerURL, "--sale", "nope", "--quiet"], cluster: cluster)
                #expect(unknown.status == 1)
                #expect(unknown.err.contains("no sale 'nope'"), "\(unknown.err)")

                let usage = try await Self.runHerd(
                    ["--center", cluster.centerURL, "--sale", "tv", "--split", "eu-west=sixty"], cluster: cluster)
                #expect(usage.status == 64)
                #expect(usage.err.contains("--split"), "\(usage.err)")

                // A credential file others may read is refused before anything is sent (65, as a bad file).
                let open = cluster.root + "/open.credential"
                try "fsc_0".write(toFile: open, atomically: true, encoding: .utf8)
                chmod(open, 0o644)
                let exposed = try await runProgram(
                    try Binaries.path("herd"), ["--center", cluster.centerURL, "--sale", "tv", "--credential-file", open])
                #expect(exposed.status == 65, "\(exposed.err)")
                #expect(exposed.err.contains("chmod 600"), "\(exposed.err)")
            }
        }
    }
}
