// A sale across regions with real latency between them: deploy/netns-cluster.sh puts each region in its own
// network namespace behind a delayed link (netem, or the user-space delay link on kernels without it).

import AsyncHTTPClient
import FlashSaleAPI
import Foundation
import NIOCore
import Testing
import TestSupport

extension ClusterProcessTests {
    @Suite struct NetnsRegionsTests {
        /// Namespaces, links and routes need root and iproute2; elsewhere the test says why it did not run.
        static let canMakeNamespaces = getuid() == 0
            && ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip"].contains { FileManager.default.isExecutableFile(atPath: $0) }
            && ["/usr/bin/python3", "/usr/local/bin/python3"].contains { FileManager.default.isExecutableFile(atPath: $0) }

        /// One-way delay of each region's link (ms): the script's defaults.
        static let delays = ["eu-west": 20, "us-east": 30, "ap-south": 40]
        static let net = "10.79.0"
        static var center: String { "http://\(net).1:7000" }
        static let endpoints = ["us-east": "http://10.79.0.21:8201", "ap-south": "http://10.79.0.31:8301"]

        /// All stock starts in eu-west; buyers in us-east and ap-south can only be served by stock that gossip moves
        /// to them across two delayed links. Every round trip between regions takes at least its two links' delay,
        /// the buyers all get an order, and the account closes after an early stop.
        @Test(.enabled(if: canMakeNamespaces, "needs root, iproute2 and python3 to make network namespaces"))
        func aSaleRunsAcrossRegionsWithRealLatency() async throws {
            let run = try TestRun.makeFolder("netns")
            let saleFile = run + "/sale.yaml"
            try """
                sales:
                  - id: far-phone
                    title: Sold far from its stock
                    stock: 30
                    startsAt: now
                    endsAt: +1h
                    perUserLimit: 1
                    admission: {requireToken: true}
                    allocation: {counts: {eu-west: 30}}
                """.write(toFile: saleFile, atomically: true, encoding: .utf8)
            let script = Binaries.packageRoot + "/deploy/netns-cluster.sh"
            let environment = [
                "FLASHSALE_BIN": URL(fileURLWithPath: try Binaries.path("config-center")).deletingLastPathComponent().path,
                "FLASHSALE_RUN": run, "PREFIX": "fst", "NET": Self.net, "SALE_FILE": saleFile,
            ]
            // The namespaces, links and bridge are named by PREFIX and NET, fixed so that a crashed run's are known: they
            // are swept before this run makes its own, and removed by the run's guard should this process die.
            _ = try await runProgram("/bin/bash", [script, "down"], environment: environment)
            TestRun.atExit(
                environment.sorted { $0.key < $1.key }.map { "\($0.key)='\($0.value)'" }.joined(separator: " ")
                    + " bash '\(script)' down")
            let up = try await runProgram("/bin/bash", [script, "up"], environment: environment)
            let http = HTTPClient(eventLoopGroupProvider: .singleton)
            do {
                try #require(up.status == 0, "netns-cluster.sh up failed:\n\(up.out)\n\(up.err)")
                try await checkLatency(script: script, environment: environment)
                try await buyAcrossRegions(http: http, credentialFile: run + "/center/admin.credential")
                let stop = try await runCLI(["sale", "stop", "far-phone"], center: Self.center, credentialFile: run + "/center/admin.credential")
                #expect(stop.status == 0, "\(stop.err)")
                try await eventually("the account closes once the units have returned their stock") {
                    let report = try await runCLI(["report", "far-phone"], center: Self.center, credentialFile: run + "/center/admin.credential").out
                    return report.contains("minted 30 = sold 20 + returned 10 + still at units 0") && report.contains("conserved: yes")
                }
            } catch {
                Issue.record("\(error)\nlogs in \(run)/logs")
            }
            try await http.shutdown()
            let down = try await runProgram("/bin/bash", [script, "down"], environment: environment)
            #expect(down.status == 0, "\(down.err)")
            try? FileManager.default.removeItem(atPath: run)
        }

        /// `ping` prints a TCP connect time between each pair of regions: one round trip, so at least twice the sum of
        /// both links' one-way delay. A lower bound only: a busy machine adds, it never takes away.
        private func checkLatency(script: String, environment: [String: String]) async throws {
            let ping = try await runProgram("/bin/bash", [script, "ping"], environment: environment)
            let lines = ping.out.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true) }
            #expect(lines.count == 6, "\(ping.out)\(ping.err)")
            for line in lines where line.count == 6 {
                let from = String(line[0]), to = String(line[2])
                let seconds = try #require(Double(line[4]), "\(line)")
                let floor = Double(2 * ((Self.delays[from] ?? 0) + (Self.delays[to] ?? 0))) / 1000
                #expect(seconds >= floor, "\(from) -> \(to): connect \(seconds) s, below the links' \(floor) s")
            }
        }

        /// Ten buyers per far region, each with a token of that region; a `503 rebalancing` is retried after its
        /// Retry-After, as a buyer's client would, until the stock has crossed over.
        private func buyAcrossRegions(http: HTTPClient, credentialFile: String) async throws {
            var orders: [String: Int] = [:]
            for (region, endpoint) in Self.endpoints.sorted(by: { $0.key < $1.key }) {
                for index in 0..<10 {
                    let user = "\(region)-buyer-\(index)"
                    let minted = try await runCLI(["token", "mint", "--user", user, "--region", region], center: Self.center, credentialFile: credentialFile)
                    let token = try #require(minted.out.split(separator: "\n").last.map(String.init), "\(minted.err)")
                    var answer: UInt = 0
                    for _ in 0..<60 where answer != 201 {
                        var request = HTTPClientRequest(url: endpoint + "/v1/sales/far-phone/purchases")
                        request.method = .POST
                        request.headers.add(name: "Authorization", value: "Bearer \(token)")
                        request.headers.add(name: "Idempotency-Key", value: user)
                        let response = try await http.execute(request, timeout: .seconds(10))
                        answer = response.status.code
                        let body = try await response.body.collect(upTo: 1 << 20)
                        if answer == 503 {
                            let wait = Int(response.headers.first(name: "Retry-After") ?? "1") ?? 1
                            try await Task.sleep(for: .seconds(min(max(wait, 1), 3)))
                        } else {
                            #expect(answer == 201, "\(user): \(answer) \(String(buffer: body))")
                        }
                    }
                    if answer == 201 { orders[region, default: 0] += 1 }
                }
            }
            #expect(orders == ["us-east": 10, "ap-south": 10])
        }
    }
}
