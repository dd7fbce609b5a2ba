// A ledger row is believed only under its owner's signature, whoever passes it on, and only in one history.

import FlashSaleAPI
import FlashSaleCore
import Foundation
import GRDB
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing
import TestSupport

@Suite struct RowSignatureTests {
    static let secret = "a-cluster-secret-for-the-tests"
    let seal = GossipSeal(secret: Array(RowSignatureTests.secret.utf8))!
    static let relay: NodeID = "eu-west-2"
    static let owner: NodeID = "eu-west-3"
    static let me = NodeID(TestUnit.unitID)

    /// A message from the relay carrying its own row, the config-center's (which gave the relay and the owner 10
    /// each), `row` as the owner's with `signature` for it, and `witness` signed by `witnessSigner`.
    func relayed(
        _ row: LedgerRow?, signature: String?, witness: GrantWitness? = nil, witnessSigner: NodeID = .center
    ) throws -> Data {
        let now = Date().millisecondsSince1970
        var digest = TestKeys.signingRows(GossipDigest(
            sale: TestUnit.saleID, from: Self.relay,
            rows: [Self.relay: LedgerRow(), .center: TestUnit.centerRow(stock: 3, giving: [Self.relay: 10, Self.owner: 10])],
            pulse: Pulse(node: Self.relay, available: 0, demandPerSecond: 0, heartbeatMs: now)))
        if let row {
            digest.rows[Self.owner] = row
            digest.signatures[Self.owner] = signature
        }
        if let witness { digest = TestKeys.witnessing(digest, witness, as: witnessSigner.rawValue) }
        return try WireJSON.encoder.encode(
            GossipEnvelope(from: Self.relay, sentAtMs: now, nonce: UUID().uuidString, digests: [digest]))
    }

    /// The relay's message carrying `row` signed by its owner, and the config-center's witness of the row's grant to
    /// this unit when `witnessed`.
    func signedByOwner(_ row: LedgerRow, witnessed: Bool = true) throws -> Data {
        let witness = GrantWitness(grants: [Self.owner: row.grantedTo])
        return try relayed(row, signature: try ownersSignature(row), witness: witnessed ? witness : nil)
    }

    /// The relay's message carrying only `witness`, signed by `signer`.
    func witnessOnly(_ witness: GrantWitness, signedBy signer: NodeID = .center) throws -> Data {
        try relayed(nil, signature: nil, witness: witness, witnessSigner: signer)
    }

    func ownersSignature(_ row: LedgerRow, by signer: NodeID = owner) throws -> String {
        try RowSignature.sign(row, of: Self.owner, sale: TestUnit.saleID, key: TestKeys.key(signer.rawValue))
    }

    func post(_ client: some TestClientProtocol, _ body: Data) async throws -> TestResponse {
        try await client.execute(
            uri: "/v1/gossip", method: .post, headers: TestKeys.gossipHeaders(body, from: Self.relay.rawValue, seal: seal),
            body: ByteBuffer(bytes: body))
    }

    func stockLeft(_ client: some TestClientProtocol) async throws -> Int64 {
        try await client.execute(uri: "/v1/sales/\(TestUnit.saleID)", method: .get).decoded(SaleView.self).stockLeft
    }

    func refused(_ client: some TestClientProtocol, _ reason: String) async throws -> Double {
        try await MetricsScrape.of(client)["flashsale_gossip_rows_refused_total{reason=\"\(reason)\"}"] ?? 0
    }

    /// A member that holds the cluster secret and its own key once could pass on any other node's row: one message
    /// naming eu-west-3 as giving this unit 1,000 made it sell stock that was never minted. Each forgery below comes
    /// in a message that is itself genuine (answered 200), and each row is left out: the stock stays 3.
    @Test func anotherOwnersRowIsBelievedOnlyUnderThatOwnersSignature() async throws {
        let unit = try TestUnit(stock: 3, peers: [Self.relay.rawValue, Self.owner.rawValue], clusterSecret: Self.secret)
        defer { unit.remove() }
        try await unit.withLiveUnit { client in
            let grant = LedgerRow(grantedTo: [Self.me: 5])
            let inflated = LedgerRow(grantedTo: [Self.me: 1_000])
            // Each message is made just before it is sent: on a loaded machine a message made early can go stale.
            let forgeries: [(String, () throws -> Data)] = [
                ("unsigned", { try relayed(grant, signature: nil) }),
                ("signed by the relay", { try relayed(grant, signature: try ownersSignature(grant, by: Self.relay)) }),
                ("signed, then altered", { try relayed(inflated, signature: try ownersSignature(grant)) }),
                ("signed for another sale", {
                    try relayed(grant, signature: try RowSignature.sign(
                        grant, of: Self.owner, sale: "another-sale", key: TestKeys.key(Self.owner.rawValue)))
                }),
                ("garbage", { try relayed(grant, signature: String(repeating: "ab", count: 64)) }),
            ]
            for (what, make) in forgeries {
                let body = try make()
                #expect(try await post(client, body).status == .ok, "\(what)")
                #expect(try await stockLeft(client) == 3, "\(what)")
            }
            #expect(try await refused(client, "unsigned") == Double(forgeries.count))

            // The owner's own signature, passed on by the relay: believed, and passed on again as it was signed. The
            // grant it makes to this unit is sold once the config-center's witness of it comes (next test).
            let genuine = try signedByOwner(grant)
            let answer = try await post(client, genuine)
            #expect(answer.status == .ok)
            #expect(try await stockLeft(client) == 8)
            let reply = try WireJSON.decoder.decode(GossipEnvelope.self, from: Data(buffer: answer.body))
            let digest = try #require(reply.digests.first)
            #expect(digest.rows[Self.owner] == grant)
            #expect(RowSignature.isValid(
                digest.signatures[Self.owner], row: grant, of: Self.owner, sale: TestUnit.saleID,
                publicKey: TestKeys.key(Self.owner.rawValue).privateKey.publicKey))
            // And the witness, as the config-center signed it: a unit passes it on so it reaches a grant's receiver.
            #expect(digest.witness == GrantWitness(grants: [Self.owner: [Self.me: 5]]))
            #expect(WitnessSignature.isValid(
                digest.witnessSignature, witness: try #require(digest.witness), sale: TestUnit.saleID,
                publicKey: TestKeys.key(NodeID.center.rawValue).privateKey.publicKey))
            // The unit's own row goes out signed by its own key.
            let key = try NodeKey.loadOrCreate(file: unit.directory + "/" + NodeKey.fileName)
            #expect(RowSignature.isValid(
                digest.signatures[Self.me], row: try #require(digest.rows[Self.me]), of: Self.me, sale: TestUnit.saleID,
                publicKey: key.privateKey.publicKey))
        }
        #expect(try unit.stored().received == 8)
    }

    /// A unit's signature proves it wrote a row, not that it wrote only one: an owner can sign a grant of its 10 to
    /// this unit for this unit's eyes, and a grant of the same 10 to the relay for the config-center's. This unit sells
    /// another unit's grant only as far as the config-center witnessed it (`GrantWitness`), and the config-center
    /// keeps one history per unit, so the same rights are never sold at both ends. A witness not signed by the
    /// config-center's key counts for nothing.
    @Test func anotherUnitsGrantIsSoldOnlyAsTheConfigCenterWitnessedIt() async throws {
        let unit = try TestUnit(stock: 3, peers: [Self.relay.rawValue, Self.owner.rawValue], clusterSecret: Self.secret)
        defer { unit.remove() }
        try await unit.withLiveUnit { client in
            let toMe = LedgerRow(grantedTo: [Self.me: 10])
            let shownHere = try signedByOwner(toMe, witnessed: false)
            #expect(try await post(client, shownHere).status == .ok)
            #expect(try await stockLeft(client) == 3, "not witnessed: not sold")

            // The config-center took the other history: the same 10 went to the relay.
            let otherHistory = try witnessOnly(GrantWitness(grants: [Self.owner: [Self.relay: 10]]))
            #expect(try await post(client, otherHistory).status == .ok)
            #expect(try await stockLeft(client) == 3, "witnessed to the relay, never to this unit")

            // Forged witnesses: by the relay, by the owner, and the config-center's signature on other numbers.
            let forgedByRelay = try witnessOnly(GrantWitness(grants: [Self.owner: [Self.me: 10]]), signedBy: Self.relay)
            #expect(try await post(client, forgedByRelay).status == .ok)
            let forgedByOwner = try witnessOnly(GrantWitness(grants: [Self.owner: [Self.me: 10]]), signedBy: Self.owner)
            #expect(try await post(client, forgedByOwner).status == .ok)
            var altered = TestKeys.witnessing(
                GossipDigest(sale: TestUnit.saleID, from: Self.relay, rows: [:], pulse: nil),
                GrantWitness(grants: [Self.owner: [Self.me: 1]]))
            altered.witness = GrantWitness(grants: [Self.owner: [Self.me: 10]])
            let alteredBody = try WireJSON.encoder.encode(GossipEnvelope(
                from: Self.relay, sentAtMs: Date().millisecondsSince1970, nonce: UUID().uuidString, digests: [altered]))
            #expect(try await post(client, alteredBody).status == .ok)
            #expect(try await stockLeft(client) == 3)
            #expect(try await refused(client, "witness-unsigned") == 3)

            // Had the config-center taken the history shown here, its witness would make the 10 sellable.
            let witnessed = try witnessOnly(GrantWitness(grants: [Self.owner: [Self.me: 10]]))
            #expect(try await post(client, witnessed).status == .ok)
            #expect(try await stockLeft(client) == 13)
        }
        #expect(try unit.stored().received == 13)
    }

    /// An owner that signs two histories (the same rights granted to this unit in one, to another unit in the other)
    /// is believed in the first it showed here; the second is refused and counted, and nothing of it is stored.
    @Test func anOwnerThatSignsTwoHistoriesIsBelievedOnlyInTheFirst() async throws {
        let unit = try TestUnit(stock: 3, peers: [Self.relay.rawValue, Self.owner.rawValue], clusterSecret: Self.secret)
        defer { unit.remove() }
        try await unit.withLiveUnit { client in
            let first = LedgerRow(grantedTo: [Self.me: 5])
            let firstBody = try signedByOwner(first)
            #expect(try await post(client, firstBody).status == .ok)
            #expect(try await stockLeft(client) == 8)

            let other = LedgerRow(grantedTo: [Self.relay: 5])
            let otherBody = try signedByOwner(other, witnessed: false)
            #expect(try await post(client, otherBody).status == .ok)
            #expect(try await stockLeft(client) == 8)
            #expect(try await refused(client, "conflicting") == 1)

            // A later row of the same history (it also gave 2 to the relay) is taken.
            let later = LedgerRow(grantedTo: [Self.me: 5, Self.relay: 2], consumed: 1)
            let laterBody = try signedByOwner(later)
            #expect(try await post(client, laterBody).status == .ok)
            #expect(try await refused(client, "conflicting") == 1)
        }
        let grants = try await DatabaseQueue(path: unit.databasePath).read { db in
            try Int64.fetchOne(
                db, sql: "SELECT amount FROM ledger_grant WHERE from_node = ? AND to_node = ?",
                arguments: [Self.owner.rawValue, Self.relay.rawValue])
        }
        #expect(grants == 2, "the refused history's grant of 5 was never stored; the later row's 2 was")
    }

    /// An owner's signature proves it wrote its row, not that it held what the row gives: a unit that was given 10
    /// and signs a grant of 11 (or sales beyond its rights) is refused, and counted; within its rights it is believed.
    @Test func aRowThatGivesMoreThanItsOwnerHoldsIsRefused() async throws {
        let unit = try TestUnit(stock: 3, peers: [Self.relay.rawValue, Self.owner.rawValue], clusterSecret: Self.secret)
        defer { unit.remove() }
        try await unit.withLiveUnit { client in
            let tooMuch = LedgerRow(grantedTo: [Self.me: 11])
            let tooMuchBody = try signedByOwner(tooMuch, witnessed: false)
            #expect(try await post(client, tooMuchBody).status == .ok)
            #expect(try await stockLeft(client) == 3)
            #expect(try await refused(client, "overdrawn") == 1)
            let oversold = LedgerRow(grantedTo: [Self.me: 5], consumed: 6)
            let oversoldBody = try signedByOwner(oversold, witnessed: false)
            #expect(try await post(client, oversoldBody).status == .ok)
            #expect(try await stockLeft(client) == 3)
            #expect(try await refused(client, "overdrawn") == 2)

            let all = LedgerRow(grantedTo: [Self.me: 10])
            let allBody = try signedByOwner(all)
            #expect(try await post(client, allBody).status == .ok)
            #expect(try await stockLeft(client) == 13)
        }
    }

    /// The gate checks a row's signature only when the row adds to what the receiver knows, and a copy of the
    /// receiver's own row only under the receiver's own key (what a unit that lost its database takes back).
    @Test func theGateChecksOnlyNewRowsAndTheReceiversOwnUnderItsOwnKey() throws {
        let gate = GossipGate(seal: seal)
        let members = Dictionary(uniqueKeysWithValues: [Self.me, Self.relay].map {
            ($0, TestKeys.key($0.rawValue).privateKey.publicKey)
        })
        func open(_ mine: LedgerRow, signedBy signer: NodeID, known: LedgerRow? = nil) throws -> GossipGate.Opened {
            let now = Date().millisecondsSince1970
            var digest = TestKeys.signingRows(GossipDigest(
                sale: TestUnit.saleID, from: Self.relay, rows: [Self.relay: LedgerRow(), Self.me: mine], pulse: nil))
            digest.signatures[Self.me] = try RowSignature.sign(
                mine, of: Self.me, sale: TestUnit.saleID, key: TestKeys.key(signer.rawValue))
            let body = try WireJSON.encoder.encode(
                GossipEnvelope(from: Self.relay, sentAtMs: now, nonce: UUID().uuidString, digests: [digest]))
            return try gate.open(
                body: body, signature: seal.signature(for: body),
                senderSignature: try GossipSenderSignature.sign(body, key: TestKeys.key(Self.relay.rawValue)),
                receiver: Self.me, members: members, nowMs: now, known: { _, owner in owner == Self.me ? known : nil })
        }
        let copy = LedgerRow(consumed: 4)
        let ownCopy = try open(copy, signedBy: Self.me)
        #expect(ownCopy.envelope.digests.first?.rows[Self.me] == copy)
        #expect(ownCopy.leftOut.isEmpty)

        let forged = try open(copy, signedBy: Self.relay)
        #expect(forged.envelope.digests.first?.rows[Self.me] == nil)
        #expect(forged.leftOut.map(\.owner) == [Self.me])

        // A sale the receiver does not have, and a sale repeated, are not opened (no signature checked for them).
        let now = Date().millisecondsSince1970
        let digest = TestKeys.signingRows(GossipDigest(
            sale: TestUnit.saleID, from: Self.relay, rows: [Self.relay: LedgerRow(consumed: 1)], pulse: nil))
        var elsewhere = digest
        elsewhere.sale = "no-such-sale"
        let body = try WireJSON.encoder.encode(GossipEnvelope(
            from: Self.relay, sentAtMs: now, nonce: UUID().uuidString, digests: [digest, elsewhere, digest, digest]))
        let repeated = try gate.open(
            body: body, signature: seal.signature(for: body),
            senderSignature: try GossipSenderSignature.sign(body, key: TestKeys.key(Self.relay.rawValue)),
            receiver: Self.me, members: members, nowMs: now, hasSale: { $0 == TestUnit.saleID })
        #expect(repeated.envelope.digests.map(\.sale) == [TestUnit.saleID])

        // Dominated by what the receiver holds: left out without a check, as it could change nothing.
        let stale = try open(copy, signedBy: Self.relay, known: LedgerRow(consumed: 9))
        #expect(stale.envelope.digests.first?.rows[Self.me] == nil)
        #expect(stale.leftOut.isEmpty)
    }
}
