// A unit whose key an attacker holds, against real processes: forged, altered and overdrawn rows change nothing.

import AsyncHTTPClient
import ConfigCenterClient
import FlashSaleAPI
import FlashSaleCore
import Foundation
import NIOCore
import Testing
import TestSupport

extension ClusterProcessTests {
    @Suite struct ByzantineUnitTests {
        static let sale = "phone"
        static let mallory: NodeID = "mallory"
        static let secret = "a-test-cluster-secret-of-some-length"

        /// Mallory is an enrolled unit of eu-west (it was given 3 of the 10) whose key and the cluster secret the
        /// attacker holds; it serves nothing, and from the test process it sends every honest node, again and again,
        /// the config-center's row minting 1,000 for the target, the other honest unit's row granting it 1,000 (both
        /// signed by mallory), the center's genuine row altered, and its own row granting the target 1,000 it never
        /// had. The honest units then sell at most the 7 that are theirs, and count what they refused.
        @Test func forgedAlteredAndOverdrawnRowsSellNothing() async throws {
            try await LocalCluster.run { cluster in
                let centerRow = try await Self.start(cluster, gossipIntervalMs: 200)

                let seal = try #require(GossipSeal(secret: Array(Self.secret.utf8)))
                let targets: [(NodeID, String)] = [
                    ("eu-west-1", cluster.unitURL("eu-west-1")), ("us-east-1", cluster.unitURL("us-east-1")),
                    (.center, cluster.centerURL),
                ]
                for round in 0..<10 {
                    for (target, url) in targets {
                        let other: NodeID = target == "eu-west-1" ? "us-east-1" : "eu-west-1"
                        let body = try Self.attack(on: target, other: other, centerRow: centerRow, round: round)
                        try await Self.send(body, to: url, seal: seal, cluster)
                    }
                }

                let sold = try await Self.buyUntilQuiet(cluster)
                #expect(sold <= 7, "the honest units sold only their own 7 (mallory keeps its 3)")
                #expect(sold >= 1)
                let stored = try cluster.stored("eu-west-1", sale: Self.sale).orders + cluster.stored("us-east-1", sale: Self.sale).orders
                #expect(stored == sold)
                for unit in ["eu-west-1", "us-east-1"] {
                    let metrics = String(decoding: try await cluster.get(cluster.unitURL(unit) + "/metrics").body, as: UTF8.self)
                    for reason in ["unsigned", "overdrawn"] {
                        #expect(Self.counter(metrics, "flashsale_gossip_rows_refused_total{reason=\"\(reason)\"}") > 0, "\(unit): \(reason)")
                    }
                }
                let status = try await cluster.client.status(sale: Self.sale)
                #expect(status.sold <= 7)
                #expect(status.units.allSatisfy { $0.rightsHeld >= 0 })
                #expect(status.units.first { $0.unit == Self.mallory.rawValue }?.rightsHeld == 3)
            }
        }

        /// Mallory holds 3 of the 10 and signs two histories of its row: one giving its 3 to eu-west-1, shown to
        /// eu-west-1 only (with a witness it signed itself), and one giving the same 3 to us-east-1, shown to us-east-1
        /// and the config-center. Each honest unit alone sees a consistent row; without the config-center's witness
        /// both would sell the 3 (13 sold of 10). The units sell a grant from another unit only as far as the
        /// config-center witnessed it, so the 3 are sold once, at us-east-1, and never more than the 10.
        @Test func twoHistoriesSellMallorysStockOnce() async throws {
            try await LocalCluster.run { cluster in
                // Slow gossip between the honest units, so that the forks reach each unit first from mallory.
                _ = try await Self.start(cluster, gossipIntervalMs: 300)

                let seal = try #require(GossipSeal(secret: Array(Self.secret.utf8)))
                for _ in 0..<3 {
                    try await Self.send(try Self.fork(giving: "eu-west-1"), to: cluster.unitURL("eu-west-1"), seal: seal, cluster)
                    try await Self.send(try Self.fork(giving: "us-east-1"), to: cluster.unitURL("us-east-1"), seal: seal, cluster)
                    try await Self.send(try Self.fork(giving: "us-east-1"), to: cluster.centerURL, seal: seal, cluster)
                }

                let sold = try await Self.buyUntilQuiet(cluster)
                #expect(sold <= 10, "mallory's 3 were not sold twice")
                #expect(sold > 7, "they were sold once, where the config-center's history put them")
                let stored = try cluster.stored("eu-west-1", sale: Self.sale).orders + cluster.stored("us-east-1", sale: Self.sale).orders
                #expect(stored == sold)
                let metrics = String(decoding: try await cluster.get(cluster.unitURL("eu-west-1") + "/metrics").body, as: UTF8.self)
                #expect(Self.counter(metrics, "flashsale_gossip_rows_refused_total{reason=\"witness-unsigned\"}") > 0)
                // The config-center's account follows the units' heartbeats.
                var status = try await cluster.client.status(sale: Self.sale)
                for _ in 0..<50 where status.sold != sold {
                    try await Task.sleep(for: .milliseconds(200))
                    status = try await cluster.client.status(sale: Self.sale)
                }
                #expect(status.sold == sold)
                #expect(status.units.allSatisfy { $0.rightsHeld >= 0 })
            }
        }

        /// The cluster both tests attack: a config-center, mallory enrolled in eu-west (its key is the test's) and given
        /// 3 of a sale of 10, and two honest units, eu-west-1 (3) and us-east-1 (4), gossiping every `gossipIntervalMs`
        /// over the cluster secret. Returns the config-center's row.
        static func start(_ cluster: LocalCluster, gossipIntervalMs: Int) async throws -> LedgerRow {
            let secretFile = cluster.root + "/cluster-secret"
            try secret.write(toFile: secretFile, atomically: true, encoding: .utf8)
            let gossip = ["--cluster-secret-file", secretFile, "--gossip-interval-ms", "\(gossipIntervalMs)"]
            try await cluster.startCenter(extraArguments: ["--cluster-secret-file", secretFile])
            for region in ["eu-west", "us-east"] { _ = try await cluster.client.addRegion(RegionSpec(id: region)) }
            _ = try await cluster.client.addUnit(UnitSpec(
                id: mallory.rawValue, region: "eu-west", url: "http://127.0.0.1:9", publicKey: TestKeys.key(mallory.rawValue).publicKey))
            try await cluster.startUnit("eu-west-1", region: "eu-west", extraArguments: gossip)
            try await cluster.startUnit("us-east-1", region: "us-east", extraArguments: gossip)
            try await cluster.waitForRegistration(["eu-west-1", "us-east-1"])
            let now = Date()
            _ = try await cluster.client.createSale(
                SaleSpec(id: sale, title: "Phone", stock: 10, startsAt: now, endsAt: now.addingTimeInterval(3600)))
            _ = try await cluster.client.allocate(sale: sale, AllocationSpec(counts: ["eu-west": 6, "us-east": 4]))
            try await cluster.waitForStock("eu-west-1", sale: sale, stock: 3)
            try await cluster.waitForStock("us-east-1", sale: sale, stock: 4)
            let centerRow = try #require(try await cluster.client.config().sales.first?.centerRow)
            #expect(centerRow.grantedTo[mallory] == 3)
            return centerRow
        }

        /// Mallory's message giving its 3 to `receiver`, its own row signed by its own key, with a witness of that
        /// grant that mallory signed (the config-center's key is not the attacker's to have).
        static func fork(giving receiver: NodeID) throws -> Data {
            let key = TestKeys.key(mallory.rawValue)
            let own = LedgerRow(grantedTo: [receiver: 3])
            let now = Date().millisecondsSince1970
            var digest = GossipDigest(
                sale: sale, from: mallory, rows: [mallory: own],
                signatures: [mallory: try RowSignature.sign(own, of: mallory, sale: sale, key: key)],
                pulse: Pulse(node: mallory, available: 0, demandPerSecond: 0, heartbeatMs: now))
            digest = TestKeys.witnessing(digest, GrantWitness(grants: [mallory: [receiver: 3]]), as: mallory.rawValue)
            return try WireJSON.encoder.encode(
                GossipEnvelope(from: mallory, sentAtMs: now, nonce: UUID().uuidString, digests: [digest]))
        }

        /// Posts `body` as mallory's gossip to `url`; the message itself is genuine (mallory is a member).
        static func send(_ body: Data, to url: String, seal: GossipSeal, _ cluster: LocalCluster) async throws {
            var request = HTTPClientRequest(url: url + "/v1/gossip")
            request.method = .POST
            for field in TestKeys.gossipHeaders(body, from: mallory.rawValue, seal: seal) {
                request.headers.add(name: field.name.rawName, value: field.value)
            }
            request.body = .bytes(ByteBuffer(bytes: body))
            let response = try await cluster.http.execute(request, timeout: .seconds(10))
            #expect(response.status == .ok, "the message itself is genuine: mallory is a member")
            _ = try await response.body.collect(upTo: 4 << 20)
        }

        /// Buyers at both honest units until neither sells any more (60 answers in a row without a sale); how many
        /// bought.
        static func buyUntilQuiet(_ cluster: LocalCluster) async throws -> Int {
            var sold = 0
            var quiet = 0
            var index = 0
            while quiet < 60, index < 600 {
                index += 1
                let unit = index % 2 == 0 ? "eu-west-1" : "us-east-1"
                let answer = try await cluster.purchase(at: unit, sale: sale, user: "buyer-\(index)")
                if answer.status == 201 { sold += 1; quiet = 0 } else { quiet += 1 }
                if answer.status == 503 { try await Task.sleep(for: .milliseconds(50)) }
            }
            return sold
        }

        /// One attack message to `target`: forgeries of the center's and `other`'s rows, the center's genuine row
        /// altered, and mallory's own row granting what it never had.
        static func attack(on target: NodeID, other: NodeID, centerRow: LedgerRow, round: Int) throws -> Data {
            let key = TestKeys.key(mallory.rawValue)
            var forgedCenter = centerRow
            forgedCenter.minted += 1_000
            forgedCenter.grantedTo[target, default: 0] += 1_000
            let forgedOther = LedgerRow(grantedTo: [target: 1_000])
            let own = LedgerRow(grantedTo: [target: 1_000 + Int64(round)])
            let rows: [NodeID: LedgerRow] = [.center: forgedCenter, other: forgedOther, mallory: own]
            var signatures = try rows.reduce(into: [NodeID: String]()) { signed, entry in
                signed[entry.key] = try RowSignature.sign(entry.value, of: entry.key, sale: sale, key: key)
            }
            if round % 2 == 1 {
                // The center's genuine signature is not the attacker's to have; an all-zero one stands for a stolen copy.
                signatures[.center] = String(repeating: "0", count: 128)
            }
            let now = Date().millisecondsSince1970
            let digest = GossipDigest(
                sale: sale, from: mallory, rows: rows, signatures: signatures,
                pulse: Pulse(node: mallory, available: 0, demandPerSecond: 0, heartbeatMs: now))
            return try WireJSON.encoder.encode(
                GossipEnvelope(from: mallory, sentAtMs: now, nonce: UUID().uuidString, digests: [digest]))
        }

        static func counter(_ metrics: String, _ series: String) -> Double {
            for line in metrics.split(separator: "\n") where line.hasPrefix(series + " ") {
                return Double(line.dropFirst(series.count + 1)) ?? 0
            }
            return 0
        }
    }
}
