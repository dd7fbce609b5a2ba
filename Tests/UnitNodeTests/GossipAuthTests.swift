// Gossip is believed only when it is signed with the cluster secret, fresh, new, from a member and sane.

import FlashSaleAPI
import FlashSaleCore
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

@Suite struct GossipAuthTests {
    static let secret = "a-cluster-secret-for-the-tests"
    let seal = GossipSeal(secret: Array(GossipAuthTests.secret.utf8))!

    /// eu-west-2's digest: it gives `amount` to the unit under test, and passes on the config-center's row that gave
    /// it that much (signed by the center: without it, the unit would refuse a grant of rights eu-west-2 never had).
    /// With `row`, that row alone, as `from`'s.
    func envelope(from: NodeID = "eu-west-2", grant amount: Int64 = 5, sentAtMs: Int64 = Date().millisecondsSince1970,
                  nonce: String = UUID().uuidString, row: LedgerRow? = nil) throws -> Data {
        var rows: [NodeID: LedgerRow] = [from: row ?? LedgerRow(grantedTo: [NodeID(TestUnit.unitID): amount])]
        if row == nil { rows[.center] = TestUnit.centerRow(stock: 3, giving: [from: amount]) }
        var digest = TestKeys.signingRows(GossipDigest(
            sale: TestUnit.saleID, from: from, rows: rows,
            pulse: Pulse(node: from, available: 0, demandPerSecond: 0, heartbeatMs: sentAtMs)))
        // The config-center witnessed the grant: without that, this unit would not sell it (`GrantWitness`).
        if row == nil, from != .center {
            digest = TestKeys.witnessing(digest, GrantWitness(grants: [from: [NodeID(TestUnit.unitID): amount]]))
        }
        return try WireJSON.encoder.encode(GossipEnvelope(from: from, sentAtMs: sentAtMs, nonce: nonce, digests: [digest]))
    }

    /// A signed message whose pulse says `available` (JSON written by hand: the value cannot be built in range).
    func envelope(available: String, sentAtMs: Int64 = Date().millisecondsSince1970) -> Data {
        let from = "eu-west-2"
        return Data(
            (#"{"from":"\#(from)","sentAtMs":\#(sentAtMs),"nonce":"\#(UUID().uuidString)","digests":[{"sale":"\#(TestUnit.saleID)","#
                + #""from":"\#(from)","rows":{"\#(from)":{"minted":0,"grantedTo":{},"consumed":0,"released":0}},"#
                + #""pulse":{"node":"\#(from)","available":\#(available),"demandPerSecond":1,"heartbeatMs":\#(sentAtMs)}}]}"#).utf8)
    }

    /// A pulse with `available: Int64.max` once made a unit trap in its rebalancing arithmetic (exit 132). Every
    /// extreme value is refused as malformed, changes nothing, and the unit goes on answering.
    @Test func extremeNumbersInAPulseAreRefusedAndTheUnitGoesOn() async throws {
        let unit = try TestUnit(stock: 3, peers: ["eu-west-2"], clusterSecret: Self.secret)
        defer { unit.remove() }
        try await unit.withLiveUnit { client in
            for value in ["9223372036854775807", "-9223372036854775808", "1e300", "1000000001"] {
                let body = envelope(available: value)
                let answer = try await post(client, body, signature: seal.signature(for: body))
                #expect(answer.status == .badRequest, "available \(value)")
                #expect(answer.headers[.contentType] == "application/problem+json")
                #expect(try await stockLeft(client) == 3)
            }
            let fine = envelope(available: "0")
            #expect(try await post(client, fine, signature: seal.signature(for: fine)).status == .ok)
        }
    }

    /// Every number of a gossip message (its time, each row's entries, the pulse), set in turn to the extremes and
    /// signed as a member would sign it: each is refused with a problem+json, nothing is taken, and the unit goes on.
    @Test func everyNumberOfAMessageAtItsExtremesIsRefusedAndChangesNothing() async throws {
        let unit = try TestUnit(stock: 3, peers: ["eu-west-2"], clusterSecret: Self.secret)
        defer { unit.remove() }
        // In range for their fields, so taken: a pulse's rights may dip below zero while orders are in flight, and a
        // demand is a rate.
        let inRange: Set<String> = ["available=-1", "demandPerSecond=0.5"]
        try await unit.withLiveUnit { client in
            // eu-west-2's own row, granting nothing to this unit: a message taken changes no stock here.
            let base = try envelope(from: "eu-west-2", row: LedgerRow(minted: 0, grantedTo: [:], consumed: 2, released: 1))
            let mutations = try ExtremeNumbers.mutations(of: String(decoding: base, as: UTF8.self))
            #expect(mutations.count >= 7 * ExtremeNumbers.values.count, "time, the row's entries and the pulse")
            for (name, mutated) in mutations {
                // A fresh nonce, and (unless the time is what is tried) the time now: only the number decides, not
                // the replay guard or a loaded machine taking longer than a message stays fresh.
                var fresh = mutated.replacingOccurrences(
                    of: #""nonce":"[^"]*""#, with: "\"nonce\":\"\(UUID().uuidString)\"", options: .regularExpression)
                if !name.hasPrefix("sentAtMs") {
                    fresh = fresh.replacingOccurrences(
                        of: #""sentAtMs":[0-9]+"#, with: "\"sentAtMs\":\(Date().millisecondsSince1970)", options: .regularExpression)
                }
                let body = Data(fresh.utf8)
                let answer = try await post(client, body, signature: seal.signature(for: body))
                if inRange.contains(name) {
                    #expect(answer.status == .ok, "\(name): \(answer.status)")
                    continue
                }
                #expect([400, 401].contains(answer.status.code), "\(name): \(answer.status)")
                #expect(answer.headers[.contentType] == "application/problem+json", "\(name)")
            }
            #expect(try await stockLeft(client) == 3, "nothing was taken")
            let fine = try envelope(from: "eu-west-2")
            #expect(try await post(client, fine, signature: seal.signature(for: fine)).status == .ok, "the unit goes on")
        }
    }

    /// Posts `body` with the cluster secret's `signature` and the sender's own, by `signedBy`'s test key (nil: none).
    func post(
        _ client: some TestClientProtocol, _ body: Data, signature: String?, signedBy sender: String? = "eu-west-2"
    ) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let signature { headers[GossipSeal.headerName] = signature }
        if let sender {
            headers[GossipSenderSignature.headerName] = try GossipSenderSignature.sign(body, key: TestKeys.key(sender))
            headers[GossipSenderSignature.senderHeaderName] = sender
        }
        return try await client.execute(uri: "/v1/gossip", method: .post, headers: headers, body: ByteBuffer(bytes: body))
    }

    func stockLeft(_ client: some TestClientProtocol) async throws -> Int64 {
        try await client.execute(uri: "/v1/sales/\(TestUnit.saleID)", method: .get).decoded(SaleView.self).stockLeft
    }

    @Test func aSignedGrantFromAPeerArrivesAndTheAnswerIsSigned() async throws {
        let unit = try TestUnit(stock: 3, peers: ["eu-west-2"], clusterSecret: Self.secret)
        defer { unit.remove() }
        try await unit.withLiveUnit { client in
            let body = try envelope()
            let answer = try await post(client, body, signature: seal.signature(for: body))
            #expect(answer.status == .ok)
            let reply = Data(buffer: answer.body)
            #expect(seal.verify(try #require(answer.headers[GossipSeal.headerName]), body: reply))
            let envelope = try WireJSON.decoder.decode(GossipEnvelope.self, from: reply)
            #expect(envelope.from == NodeID(TestUnit.unitID))
            #expect(envelope.digests.first?.pulse?.available == 8)
            #expect(try await stockLeft(client) == 8)
        }
        #expect(try unit.stored().received == 8, "the grant is in SQLite")
    }

    /// The config-center's gossip (a restock reaching the unit, say) is believed under the key the unit pinned.
    @Test func theConfigCentersGossipIsBelievedUnderItsPinnedKey() async throws {
        let unit = try TestUnit(stock: 3, peers: ["eu-west-2"], clusterSecret: Self.secret)
        defer { unit.remove() }
        try await unit.withLiveUnit { client in
            let restock = try envelope(from: .center, row: LedgerRow(minted: 8, grantedTo: [NodeID(TestUnit.unitID): 8]))
            let answer = try await post(client, restock, signature: seal.signature(for: restock), signedBy: NodeID.center.rawValue)
            #expect(answer.status == .ok)
            #expect(try await stockLeft(client) == 8)
            let reply = Data(buffer: answer.body)
            #expect(GossipSenderSignature.isValid(
                answer.headers[GossipSenderSignature.headerName], body: reply,
                publicKey: try NodeKey.loadOrCreate(file: unit.directory + "/" + NodeKey.fileName).privateKey.publicKey),
                "the answer is signed by the unit's own key")
        }
    }

    @Test func forgedReplayedStaleForeignAndMalformedMessagesChangeNothing() async throws {
        let unit = try TestUnit(stock: 3, peers: ["eu-west-2"], clusterSecret: Self.secret)
        defer { unit.remove() }
        try await unit.withLiveUnit { client in
            func expectRefused(
                _ body: Data, signature: String?, signedBy sender: String? = "eu-west-2", _ status: HTTPResponse.Status
            ) async throws {
                let answer = try await post(client, body, signature: signature, signedBy: sender)
                #expect(answer.status == status)
                #expect(answer.headers[.contentType] == "application/problem+json")
                #expect(try await stockLeft(client) == 3)
            }
            let good = try envelope()
            try await expectRefused(good, signature: nil, .unauthorized)
            try await expectRefused(good, signature: String(repeating: "0", count: 64), .unauthorized)
            let other = GossipSeal(secret: Array("another-secret-of-enough-bytes".utf8))!
            try await expectRefused(good, signature: other.signature(for: good), .unauthorized)
            // Signed, then altered: the signature no longer matches the bytes.
            var altered = good
            altered.append(contentsOf: Array(" ".utf8))
            try await expectRefused(altered, signature: seal.signature(for: good), .unauthorized)

            let stale = try envelope(sentAtMs: Date().millisecondsSince1970 - 120_000)
            try await expectRefused(stale, signature: seal.signature(for: stale), .unauthorized)
            let stranger = try envelope(from: "mallory")
            try await expectRefused(stranger, signature: seal.signature(for: stranger), signedBy: "mallory", .unauthorized)
            // The cluster secret proves membership, not who: a message is believed only when signed by the key its
            // sender was enrolled with. No sender signature, another member's, and a member speaking as the
            // config-center (granting 1,000 it never minted for this unit) are all refused.
            let unsigned = try envelope()
            try await expectRefused(unsigned, signature: seal.signature(for: unsigned), signedBy: nil, .unauthorized)
            let impostor = try envelope()
            try await expectRefused(impostor, signature: seal.signature(for: impostor), signedBy: "us-east-1", .unauthorized)
            let asCenter = try envelope(from: .center, row: LedgerRow(minted: 1_000, grantedTo: [NodeID(TestUnit.unitID): 1_000]))
            try await expectRefused(asCenter, signature: seal.signature(for: asCenter), signedBy: "eu-west-2", .unauthorized)
            let garbage = Data("{\"from\": 1}".utf8)
            try await expectRefused(garbage, signature: seal.signature(for: garbage), .badRequest)
            let minting = try envelope(row: LedgerRow(minted: 1_000, grantedTo: [NodeID(TestUnit.unitID): 50]))
            try await expectRefused(minting, signature: seal.signature(for: minting), .badRequest)

            // The genuine message works once; played again it is refused. Made now, not with `good` above: on a
            // loaded machine the refusals can take longer than a message stays fresh.
            let genuine = try envelope()
            #expect(try await post(client, genuine, signature: seal.signature(for: genuine)).status == .ok)
            #expect(try await stockLeft(client) == 8)
            let replay = try await post(client, genuine, signature: seal.signature(for: genuine))
            #expect(replay.status == .unauthorized)
            #expect(try await stockLeft(client) == 8)
        }
        #expect(try unit.stored().received == 8)
    }

    /// Who sends a message is checked before its body is read: a stranger (or no name) announcing 4 MB is answered
    /// 401 at once, while the server still waits for the body of a member's message. A member that names itself in the
    /// header but signs as another is refused too.
    @Test func aStrangersBodyIsNotReadAndTheNamedSenderMustSignIt() async throws {
        let unit = try TestUnit(stock: 3, peers: ["eu-west-2", "eu-west-3"], clusterSecret: Self.secret)
        defer { unit.remove() }
        try await unit.withLiveUnit { client in
            let port = try #require(client.port)
            for sender in ["../etc", "mallory", "", TestUnit.unitID] {
                let fd = try #require(Loopback.connect(to: port))
                defer { close(fd) }
                let named = sender.isEmpty ? "" : "\(GossipSenderSignature.senderHeader): \(sender)\r\n"
                Loopback.send(fd, "POST /v1/gossip HTTP/1.1\r\nHost: unit\r\nContent-Type: application/json\r\n\(named)Content-Length: 4000000\r\n\r\n{")
                let answer = try await Self.read(fd, seconds: 60)  // generous: a loaded machine, not a slow server
                #expect(answer.hasPrefix("HTTP/1.1 401"), "\(sender.debugDescription): \(answer.prefix(80).debugDescription)")
            }
            let member = try #require(Loopback.connect(to: port))
            defer { close(member) }
            Loopback.send(member, "POST /v1/gossip HTTP/1.1\r\nHost: unit\r\nContent-Type: application/json\r\n\(GossipSenderSignature.senderHeader): eu-west-2\r\nContent-Length: 4000000\r\n\r\n{")
            #expect(try await Self.read(member, seconds: 1).isEmpty, "a member's body is awaited")

            // eu-west-3 names itself, but the message is eu-west-2's (signed by eu-west-2): refused, nothing taken.
            let body = try envelope(from: "eu-west-2")
            var headers = TestKeys.gossipHeaders(body, from: "eu-west-2", seal: seal)
            headers[GossipSenderSignature.senderHeaderName] = "eu-west-3"
            let mismatched = try await client.execute(uri: "/v1/gossip", method: .post, headers: headers, body: ByteBuffer(bytes: body))
            #expect(mismatched.status == .unauthorized)
            #expect(try await stockLeft(client) == 3)
        }
    }

    /// A stranger who names a real member in the header cannot spend that member's quota: the count before the body is
    /// read is per client address, and the member's own is charged only once its signature holds. After a flood from
    /// 127.0.0.2 naming eu-west-2, the flooding address is refused and eu-west-2's genuine message is still taken.
    @Test func aFloodNamingAMemberDoesNotSilenceIt() async throws {
        // A frozen clock: the quotas do not fill again while the test floods.
        let clock = TestClock(nowMs: Date().millisecondsSince1970)
        let unit = try TestUnit(stock: 3, peers: ["eu-west-2"], clusterSecret: Self.secret, nowMs: { clock.nowMs })
        defer { unit.remove() }
        try await unit.withLiveUnit { client in
            let port = try #require(client.port)
            var last = ""
            for _ in 0...Int(GossipSenderQuota.limit.burst) {
                let fd = try #require(Loopback.connect(to: port, from: "127.0.0.2"))
                Loopback.send(fd, "POST /v1/gossip HTTP/1.1\r\nHost: unit\r\nContent-Type: application/json\r\n\(GossipSenderSignature.senderHeader): eu-west-2\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
                last = try await Self.read(fd, seconds: 60)
                close(fd)
            }
            #expect(last.hasPrefix("HTTP/1.1 429"), "the flooding address is refused: \(last.prefix(40).debugDescription)")
            let body = try envelope(from: "eu-west-2", sentAtMs: clock.nowMs)
            let genuine = try await post(client, body, signature: seal.signature(for: body))
            #expect(genuine.status == .ok, "eu-west-2 itself is still heard")
        }
    }

    /// What the server sent on `fd` within `seconds` (until it closes or a blank line ends the head). Polls without
    /// blocking a thread: the in-process server answers on the same two threads of the concurrency pool.
    static func read(_ fd: Int32, seconds: Double) async throws -> String {
        var received = [UInt8]()
        let deadline = Date().addingTimeInterval(seconds)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while Date() < deadline {
            let count = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if count == 0 { break }
            if count < 0 {
                guard errno == EAGAIN || errno == EWOULDBLOCK else { break }
                try await Task.sleep(for: .milliseconds(10))
                continue
            }
            received += buffer[0..<count]
            if String(decoding: received, as: UTF8.self).contains("\r\n\r\n") { break }
        }
        return String(decoding: received, as: UTF8.self)
    }

    @Test func withoutGossipTheEndpointDoesNotExist() async throws {
        let unit = try TestUnit(stock: 3)
        defer { unit.remove() }
        try await unit.withLiveUnit { client in
            let body = try envelope()
            #expect(try await post(client, body, signature: seal.signature(for: body)).status == .notFound)
        }
    }
}
