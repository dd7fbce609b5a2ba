// The config-center as node C of the gossip: it learns units' rows and pulses, and answers with its own row.

import ConfigCenter
import FlashSaleAPI
import FlashSaleCore
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing
import TestSupport

@Suite("Config-center gossip")
struct CenterGossipTests {
    static let secret = "the-cluster-secret-for-tests"
    let seal = GossipSeal(secret: Array(CenterGossipTests.secret.utf8))!

    func envelope(from unit: NodeID = "eu-1", consumed: Int64, sentAtMs: Int64 = Fixed.nowMs) throws -> Data {
        let digest = TestKeys.signingRows(GossipDigest(
            sale: "s1", from: unit, rows: [unit: LedgerRow(consumed: consumed)],
            pulse: Pulse(node: unit, available: 10 - consumed, demandPerSecond: 4.5, heartbeatMs: sentAtMs)))
        return try WireJSON.encoder.encode(
            GossipEnvelope(from: unit, sentAtMs: sentAtMs, nonce: UUID().uuidString, digests: [digest]))
    }

    /// Posts `body` with the cluster secret's `signature` and the sender's own, by `signedBy`'s test key (nil: none).
    func gossip(_ center: CenterClient, _ body: Data, signature: String?, signedBy sender: String? = "eu-1") async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let signature { headers[GossipSeal.headerName] = signature }
        if let sender {
            headers[GossipSenderSignature.headerName] = try GossipSenderSignature.sign(body, key: TestKeys.key(sender))
            headers[GossipSenderSignature.senderHeaderName] = sender
        }
        return try await center.execute(uri: "/v1/gossip", method: .post, headers: headers, body: ByteBuffer(bytes: body))
    }

    @Test("a unit's signed digest reaches the center's status, and the answer carries the center's grants")
    func exchange() async throws {
        try await withCenter(clusterSecret: Self.secret) { center in
            try await center.addCluster(["eu": ["eu-1"]])
            try await center.createSale(saleSpec(stock: 100))
            try await center.allocate("s1", AllocationSpec(counts: ["eu": 10]))
            let body = try envelope(consumed: 3)
            let answer = try await gossip(center, body, signature: seal.signature(for: body))
            #expect(answer.status == .ok)
            #expect(seal.verify(try #require(answer.headers[GossipSeal.headerName]), body: answer.data))
            #expect(GossipSenderSignature.isValid(
                answer.headers[GossipSenderSignature.headerName], body: answer.data,
                publicKey: TestKeys.key(NodeID.center.rawValue).privateKey.publicKey), "signed by the center's own key")
            let reply = try WireJSON.decoder.decode(GossipEnvelope.self, from: answer.data)
            #expect(reply.from == .center)
            #expect(reply.digests.first?.rows[.center]?.grantedTo["eu-1"] == 10)
            let status = try await center.status("s1")
            #expect(status.sold == 3)
            #expect(status.unit("eu-1")?.rightsHeld == 7)
            #expect(status.unit("eu-1")?.demandPerSecond == 4.5)
        }
    }

    @Test("forged, replayed, foreign and implausible digests change nothing")
    func refusals() async throws {
        try await withCenter(clusterSecret: Self.secret) { center in
            try await center.addCluster(["eu": ["eu-1"]])
            try await center.createSale(saleSpec(stock: 100))
            try await center.allocate("s1", AllocationSpec(counts: ["eu": 10]))
            let before = try await center.snapshot()
            let good = try envelope(consumed: 3)
            #expect(try await gossip(center, good, signature: nil).status == .unauthorized)
            let other = GossipSeal(secret: Array("some-other-secret-value".utf8))!
            #expect(try await gossip(center, good, signature: other.signature(for: good)).status == .unauthorized)
            let stranger = try envelope(from: "mallory", consumed: 1)
            #expect(try await gossip(center, stranger, signature: seal.signature(for: stranger), signedBy: "mallory").status == .unauthorized)
            // The cluster secret proves membership, not who: without eu-1's own signature, or with another key's,
            // a message from eu-1 is refused.
            #expect(try await gossip(center, good, signature: seal.signature(for: good), signedBy: nil).status == .unauthorized)
            #expect(try await gossip(center, good, signature: seal.signature(for: good), signedBy: "eu-2").status == .unauthorized)
            let stale = try envelope(consumed: 1, sentAtMs: Fixed.nowMs - 120_000)
            #expect(try await gossip(center, stale, signature: seal.signature(for: stale)).status == .unauthorized)
            let minting = try WireJSON.encoder.encode(
                GossipEnvelope(
                    from: "eu-1", sentAtMs: Fixed.nowMs, nonce: "n1",
                    digests: [GossipDigest(sale: "s1", from: "eu-1", rows: ["eu-1": LedgerRow(minted: 500)], pulse: nil)]))
            #expect(try await gossip(center, minting, signature: seal.signature(for: minting)).status == .badRequest)
            #expect(try await center.snapshot() == before)

            #expect(try await gossip(center, good, signature: seal.signature(for: good)).status == .ok)
            #expect(try await gossip(center, good, signature: seal.signature(for: good)).status == .unauthorized)
            #expect(try await center.status("s1").sold == 3)
        }
    }

    /// Any holder of the shared secret once wrote any node's row at the center, a ghost's granting stock among them:
    /// rows of nodes that are not enrolled units are not stored.
    @Test("rows of nodes that are not enrolled units are not stored")
    func noGhostRows() async throws {
        try await withCenter(clusterSecret: Self.secret) { center in
            try await center.addCluster(["eu": ["eu-1"]])
            try await center.createSale(saleSpec(stock: 100))
            try await center.allocate("s1", AllocationSpec(counts: ["eu": 10]))
            let before = try await center.status("s1")
            let rows: [NodeID: LedgerRow] = ["eu-1": LedgerRow(consumed: 1), "ghost": LedgerRow(grantedTo: ["eu-1": 7])]
            let body = try WireJSON.encoder.encode(GossipEnvelope(
                from: "eu-1", sentAtMs: Fixed.nowMs, nonce: "n-rows",
                digests: [TestKeys.signingRows(GossipDigest(sale: "s1", from: "eu-1", rows: rows, pulse: nil))]))
            #expect(try await gossip(center, body, signature: seal.signature(for: body)).status == .ok)
            let after = try await center.status("s1")
            #expect(after.unit("eu-1")?.rightsHeld == (before.unit("eu-1")?.rightsHeld ?? 0) - 1)
            #expect(try await center.config().sales.first?.unitRows?["ghost"] == nil)
        }
    }

    /// A unit passes on other units' rows (the center learns of grants between units this way), but only as their
    /// owners signed them: eu-1 writing eu-2's row is left out, eu-2's own signature is believed and passed on.
    @Test("another unit's row is believed only under that unit's signature, and passed on with it")
    func relayedRows() async throws {
        try await withCenter(clusterSecret: Self.secret) { center in
            try await center.addCluster(["eu": ["eu-1", "eu-2"]])
            try await center.createSale(saleSpec(stock: 100))
            try await center.allocate("s1", AllocationSpec(counts: ["eu": 20]))
            let before = try await center.status("s1").unit("eu-2")?.rightsHeld ?? 0
            let theirs = LedgerRow(grantedTo: ["eu-1": 4], consumed: 2)
            func relay(signedBy signer: String) async throws -> TestResponse {
                var digest = TestKeys.signingRows(GossipDigest(sale: "s1", from: "eu-1", rows: ["eu-1": LedgerRow()], pulse: nil))
                digest.rows["eu-2"] = theirs
                digest.signatures["eu-2"] = try RowSignature.sign(theirs, of: "eu-2", sale: "s1", key: TestKeys.key(signer))
                let body = try WireJSON.encoder.encode(
                    GossipEnvelope(from: "eu-1", sentAtMs: Fixed.nowMs, nonce: UUID().uuidString, digests: [digest]))
                return try await gossip(center, body, signature: seal.signature(for: body))
            }
            #expect(try await relay(signedBy: "eu-1").status == .ok)
            #expect(try await center.status("s1").unit("eu-2")?.rightsHeld == before)
            #expect(try await center.status("s1").unit("eu-1")?.rightsHeld == 10)

            // The answer before eu-2's row was taken witnesses no grant between units: eu-1 would sell none of it.
            let unwitnessed = try WireJSON.decoder.decode(GossipEnvelope.self, from: try await relay(signedBy: "eu-1").data)
            #expect(unwitnessed.digests.first?.witness == GrantWitness())

            let answer = try await relay(signedBy: "eu-2")
            #expect(answer.status == .ok)
            #expect(try await center.status("s1").unit("eu-2")?.rightsHeld == before - 6)
            #expect(try await center.status("s1").unit("eu-1")?.rightsHeld == 14)
            let reply = try WireJSON.decoder.decode(GossipEnvelope.self, from: answer.data)
            let digest = try #require(reply.digests.first)
            // Now it witnesses eu-2's grant of 4 to eu-1, under the center's key: what lets eu-1 sell it.
            let witness = try #require(digest.witness)
            #expect(witness == GrantWitness(grants: ["eu-2": ["eu-1": 4]]))
            #expect(WitnessSignature.isValid(
                digest.witnessSignature, witness: witness, sale: "s1",
                publicKey: TestKeys.key(NodeID.center.rawValue).privateKey.publicKey))
            #expect(digest.rows["eu-2"] == theirs)
            #expect(RowSignature.isValid(
                digest.signatures["eu-2"], row: theirs, of: "eu-2", sale: "s1", publicKey: TestKeys.key("eu-2").privateKey.publicKey))
            let centerRow = try #require(digest.rows[.center])
            #expect(RowSignature.isValid(
                digest.signatures[.center], row: centerRow, of: .center, sale: "s1",
                publicKey: TestKeys.key(NodeID.center.rawValue).privateKey.publicKey), "the center's row, signed by its key")
        }
    }

    @Test("without a cluster secret the center has no gossip endpoint")
    func disabled() async throws {
        try await withCenter { center in
            let body = try envelope(consumed: 1)
            #expect(try await gossip(center, body, signature: seal.signature(for: body)).status == .notFound)
        }
    }
}
