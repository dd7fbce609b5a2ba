// A unit's own routes at the config-center: only an enrolled unit, signing with its own key, may send its heartbeat
// or read the configuration; every other request is refused and changes nothing.

import ConfigCenter
import Crypto
import FlashSaleAPI
import FlashSaleCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TestSupport

@Suite("Unit signatures at the config-center")
struct NodeAuthTests {
    /// Region eu with eu-1 and eu-2 enrolled, sale s1 of 5, all granted to eu-1... and eu-2 (3 and 2).
    private func withUnits(_ body: @Sendable (CenterClient) async throws -> Void) async throws {
        try await withCenter { center in
            try await center.addCluster(["eu": ["eu-1", "eu-2"]])
            try await center.createSale(saleSpec("s1", stock: 5))
            try await center.allocate("s1", AllocationSpec(counts: ["eu": 5]))
            try await body(center)
        }
    }

    private func report(
        _ unit: String, own: LedgerRow = LedgerRow(consumed: 1), knownRows: [String: [NodeID: LedgerRow]]? = nil,
        knownSignatures: [String: [NodeID: String]]? = nil
    ) -> Data {
        // Encoding a plain value cannot fail.
        try! WireJSON.encoder.encode(UnitReport(
            unit: unit, region: "eu", url: "http://127.0.0.1:8000/\(unit)", configVersion: 1, sales: ["s1": own],
            knownRows: knownRows, knownSignatures: knownSignatures))
    }

    /// Sends eu-1's heartbeat with `headers` (and no automatic signature).
    private func send(_ center: CenterClient, headers: HTTPFields, body: Data) async throws -> TestResponse {
        var all = headers
        all[.contentType] = "application/json"
        return try await center.unsigned.execute(uri: "/v1/units/eu-1/report", method: .post, headers: all, body: ByteBuffer(bytes: body))
    }

    private func signed(
        as unit: String = "eu-1", key: NodeKey? = nil, uri: String = "/v1/units/eu-1/report", body: Data, timeMs: Int64
    ) throws -> HTTPFields {
        let key = key ?? TestKeys.key(unit)
        var fields = HTTPFields()
        for header in try NodeRequestSignature.headers(node: unit, key: key, method: "POST", path: uri, timeMs: timeMs, body: body) {
            fields[HTTPField.Name(header.name)!] = header.value
        }
        return fields
    }

    @Test func everyUnitHasItsOwnKey() async throws {
        try await withUnits { center in
            try await center.expectRefused(.conflict) {
                try await center.post("/v1/units", UnitSpec(id: "eu-2", region: "eu", publicKey: TestKeys.key("eu-1").publicKey))
            }
            try await center.expectRefused(.conflict) {
                try await center.post("/v1/units", UnitSpec(id: "eu-3", region: "eu", publicKey: TestKeys.key("eu-1").publicKey))
            }
        }
    }

    @Test func anUnsignedHeartbeatIsRefused() async throws {
        try await withUnits { center in
            try await center.expectRefused(.unauthorized) { try await send(center, headers: [:], body: report("eu-1")) }
        }
    }

    @Test func aHeartbeatSignedWithAnotherKeyIsRefused() async throws {
        try await withUnits { center in
            let stranger = NodeKey.generate()
            let body = report("eu-1")
            let problem = try await center.expectRefused(.unauthorized) {
                try await send(center, headers: try signed(key: stranger, body: body, timeMs: center.clock.nowMs), body: body)
            }
            #expect(problem.detail?.contains("signature") == true)
        }
    }

    @Test func aHeartbeatWhoseBodyOrRouteWasChangedIsRefused() async throws {
        try await withUnits { center in
            let headers = try signed(body: report("eu-1"), timeMs: center.clock.nowMs)
            var altered = report("eu-1")
            altered.append(contentsOf: Data(" ".utf8))
            try await center.expectRefused(.unauthorized) { try await send(center, headers: headers, body: altered) }
            let elsewhere = try signed(uri: "/v1/units/eu-1/report?x=1", body: report("eu-1"), timeMs: center.clock.nowMs)
            try await center.expectRefused(.unauthorized) { try await send(center, headers: elsewhere, body: report("eu-1")) }
        }
    }

    @Test func aHeartbeatFromTooFarInThePastOrFutureIsRefused() async throws {
        try await withUnits { center in
            let body = report("eu-1")
            for offset: Int64 in [-61_000, 61_000] {
                let problem = try await center.expectRefused(.unauthorized) {
                    try await send(center, headers: try signed(body: body, timeMs: center.clock.nowMs + offset), body: body)
                }
                #expect(problem.detail?.contains("clock") == true)
            }
        }
    }

    /// A time the sender chose is never subtracted from ours: Int64.min once would have trapped the config-center.
    @Test func extremeTimesAreRefusedNotACrash() async throws {
        try await withUnits { center in
            let body = report("eu-1")
            for time in [Int64.min, Int64.max, -1, 0] {
                try await center.expectRefused(.unauthorized) {
                    try await send(center, headers: try signed(body: body, timeMs: time), body: body)
                }
            }
            var headers = try signed(body: body, timeMs: center.clock.nowMs)
            for time in ["-9223372036854775808", "99999999999999999999", "1e3", "", " 1"] {
                headers[HTTPField.Name("X-Flashsale-Time")!] = time
                try await center.expectRefused(.unauthorized) { try await send(center, headers: headers, body: body) }
            }
        }
    }

    @Test func aReplayedHeartbeatIsRefused() async throws {
        try await withUnits { center in
            let body = report("eu-1")
            let headers = try signed(body: body, timeMs: center.clock.nowMs + 30_000)
            #expect(try await send(center, headers: headers, body: body).status == .ok)
            let problem = try await center.expectRefused(.unauthorized) { try await send(center, headers: headers, body: body) }
            #expect(problem.detail?.contains("replay") == true)
        }
    }

    /// A unit whose key an admin withdrew (compromised, retired) is no member: its heartbeat is refused and changes
    /// nothing, the configuration no longer lists its key (so peers refuse its gossip), and it is a member again only
    /// once enrolled with a new key.
    @Test func aUnitWhoseKeyWasWithdrawnIsRefusedUntilEnrolledAgain() async throws {
        try await withUnits { center in
            let body = report("eu-1")
            #expect(try await send(center, headers: try signed(body: body, timeMs: center.clock.nowMs + 1), body: body).status == .ok)
            let revoked = try center.ok(UnitSpec.self, try await center.execute(uri: "/v1/units/eu-1/key", method: .delete))
            #expect(revoked.publicKey == nil)
            let config = try center.ok(ClusterConfig.self, try await center.get("/v1/config"))
            #expect(config.units.first { $0.id == "eu-1" }?.publicKey == nil)
            #expect(config.units.first { $0.id == "eu-2" }?.publicKey != nil)

            let before = try await center.snapshot()
            let later = report("eu-1")
            let problem = try await center.expectRefused(.unauthorized) {
                try await send(center, headers: try signed(body: later, timeMs: center.clock.nowMs + 2), body: later)
            }
            #expect(problem.detail?.contains("not enrolled") == true, "\(problem.detail ?? "")")
            #expect(try await center.snapshot() == before)

            let fresh = NodeKey.generate()
            _ = try center.ok(UnitSpec.self, try await center.post("/v1/units", UnitSpec(id: "eu-1", region: "eu", publicKey: fresh.publicKey)), status: .created)
            let again = report("eu-1")
            #expect(try await send(center, headers: try signed(key: fresh, body: again, timeMs: center.clock.nowMs + 3), body: again).status == .ok)
        }
    }

    /// A unit that lost its disk, key included, is enrolled again with a new key; the old one is kept as its previous
    /// key (in the configuration: the unit takes back its own row as peers kept it, signed with that key). A key that
    /// was withdrawn (compromised) leaves no previous key behind.
    @Test func aReplacedKeyIsKeptAsThePreviousOneAndAWithdrawnKeyIsNot() async throws {
        try await withUnits { center in
            let old = TestKeys.key("eu-1").publicKey
            let fresh = NodeKey.generate()
            let replaced = try center.ok(
                UnitSpec.self, try await center.post("/v1/units", UnitSpec(id: "eu-1", region: "eu", publicKey: fresh.publicKey)),
                status: .created)
            #expect(replaced.publicKey == fresh.publicKey)
            #expect(replaced.previousPublicKey == old)
            let config = try center.ok(ClusterConfig.self, try await center.get("/v1/config"))
            #expect(config.units.first { $0.id == "eu-1" }?.previousPublicKey == old)
            #expect(config.units.first { $0.id == "eu-2" }?.previousPublicKey == nil)

            let revoked = try center.ok(UnitSpec.self, try await center.execute(uri: "/v1/units/eu-1/key", method: .delete))
            #expect(revoked.publicKey == nil && revoked.previousPublicKey == nil)
            let another = NodeKey.generate()
            let enrolled = try center.ok(
                UnitSpec.self, try await center.post("/v1/units", UnitSpec(id: "eu-1", region: "eu", publicKey: another.publicKey)),
                status: .created)
            #expect(enrolled.previousPublicKey == nil, "the withdrawn key is no history to take back")
        }
    }

    @Test func aUnitMayNotReportForAnother() async throws {
        try await withUnits { center in
            let body = report("eu-1")
            try await center.expectRefused(.forbidden) {
                try await send(center, headers: try signed(as: "eu-2", body: body, timeMs: center.clock.nowMs), body: body)
            }
        }
    }

    /// The attack of issue 12: a heartbeat carrying the row of a node that does not exist, granting stock to a unit,
    /// made the config-center count rights never minted (a sale of 5 sold 12). Rows of nodes that are not enrolled
    /// units (with a key) are not stored, even from an enrolled unit.
    @Test func rowsOfNodesThatAreNotEnrolledAreNotStored() async throws {
        try await withUnits { center in
            // Declared without a key: not enrolled, so no row of it is believed either.
            _ = try await center.post("/v1/units", UnitSpec(id: "eu-3", region: "eu"))
            let before = try await center.status("s1")
            let phantom = report("eu-1", knownRows: [
                "s1": ["ghost": LedgerRow(grantedTo: ["eu-1": 7]), "eu-3": LedgerRow(grantedTo: ["eu-1": 7])],
            ])
            #expect(try await center.post("/v1/units/eu-1/report", raw: phantom).status == .ok)
            let after = try await center.status("s1")
            #expect(after.unit("eu-1")?.rightsHeld == (before.unit("eu-1")?.rightsHeld ?? 0) - 1, "one sold, nothing received")
            #expect(after.units.reduce(0) { $0 + $1.rightsHeld } + after.sold <= 5)
            let rows = try await center.config().sales.first?.unitRows ?? [:]
            #expect(rows["ghost"] == nil && rows["eu-3"] == nil)
        }
    }

    /// A heartbeat passes on other units' rows, but cannot write them: eu-1 reporting eu-2 as having sold 2 is kept
    /// only when eu-2 signed that row.
    @Test func anotherUnitsRowInAHeartbeatIsKeptOnlyUnderThatUnitsSignature() async throws {
        try await withUnits { center in
            let theirs = LedgerRow(consumed: 2)
            let before = try await center.status("s1").unit("eu-2")?.rightsHeld ?? 0
            let forged = report(
                "eu-1", knownRows: ["s1": ["eu-2": theirs]],
                knownSignatures: ["s1": ["eu-2": try RowSignature.sign(theirs, of: "eu-2", sale: "s1", key: TestKeys.key("eu-1"))]])
            #expect(try await center.post("/v1/units/eu-1/report", raw: forged).status == .ok)
            #expect(try await center.status("s1").unit("eu-2")?.rightsHeld == before)
            let unsigned = report("eu-1", knownRows: ["s1": ["eu-2": theirs]])
            #expect(try await center.post("/v1/units/eu-1/report", raw: unsigned).status == .ok)
            #expect(try await center.status("s1").unit("eu-2")?.rightsHeld == before)

            let genuine = report(
                "eu-1", knownRows: ["s1": ["eu-2": theirs]],
                knownSignatures: ["s1": ["eu-2": try RowSignature.sign(theirs, of: "eu-2", sale: "s1", key: TestKeys.key("eu-2"))]])
            #expect(try await center.post("/v1/units/eu-1/report", raw: genuine).status == .ok)
            #expect(try await center.status("s1").unit("eu-2")?.rightsHeld == before - 2)
        }
    }

    /// eu-1 (given 3) and eu-2 (given 2) gave each other 4, and eu-1 sold 3: each row alone overdraws its owner, so
    /// the heartbeat that carries both is taken whole, eu-2's row with eu-1's own.
    @Test func aHeartbeatWithTwoUnitsThatGaveEachOtherStockIsTakenWhole() async throws {
        try await withUnits { center in
            let theirs = LedgerRow(grantedTo: ["eu-1": 4])
            let body = report(
                "eu-1", own: LedgerRow(grantedTo: ["eu-2": 4], consumed: 3), knownRows: ["s1": ["eu-2": theirs]],
                knownSignatures: ["s1": ["eu-2": try RowSignature.sign(theirs, of: "eu-2", sale: "s1", key: TestKeys.key("eu-2"))]])
            #expect(try await center.post("/v1/units/eu-1/report", raw: body).status == .ok)
            let status = try await center.status("s1")
            #expect(status.unit("eu-1")?.rightsHeld == 0)
            #expect(status.unit("eu-2")?.rightsHeld == 2)
        }
    }

    /// A grant to a node that is no enrolled unit would grow the configuration every unit decodes: refused.
    @Test func aGrantToANodeThatIsNoMemberIsRefused() async throws {
        try await withUnits { center in
            let body = report("eu-1", own: LedgerRow(grantedTo: ["made-up-1": 1]))
            let problem = try await center.expectRefused(.invalidInput) { try await center.post("/v1/units/eu-1/report", raw: body) }
            #expect(problem.detail?.contains("no enrolled unit") == true, "\(problem.detail ?? "")")
        }
    }

    @Test func theConfigurationIsSignedByTheConfigCentersKey() async throws {
        try await withUnits { center in
            let identity = try center.ok([String: String].self, try await center.unsigned.with(credential: nil).get("/v1/identity"))
            let key = try #require(identity["publicKey"].flatMap(NodeKey.publicKey))
            let nonce = ConfigSignature.makeNonce()
            let answer = try await center.execute(uri: "/v1/config", method: .get, headers: [ConfigSignature.nonceHeader: nonce])
            #expect(answer.headers[ConfigSignature.keyHeader] == identity["publicKey"])
            let signature = try #require(answer.headers[ConfigSignature.signatureHeader])
            #expect(ConfigSignature.isValid(signature: signature, body: answer.data, nonce: nonce, publicKey: key))
            var altered = answer.data
            altered[altered.startIndex] ^= 1
            #expect(!ConfigSignature.isValid(signature: signature, body: altered, nonce: nonce, publicKey: key))
            #expect(!ConfigSignature.isValid(
                signature: signature, body: answer.data, nonce: ConfigSignature.makeNonce(), publicKey: key), "bound to its request")
        }
    }

    @Test func theConfigurationIsReadBySignedUnitsAndOperatorsOnly() async throws {
        try await withUnits { center in
            let stranger = center.unsigned.with(credential: nil)
            try center.expectProblem(try await stranger.get("/v1/config"), .unauthorized)
            try center.expectProblem(try await center.with(credential: "fsc_" + String(repeating: "1", count: 64)).get("/v1/config"), .unauthorized)
            var headers = HTTPFields()
            for header in try NodeRequestSignature.headers(
                node: "eu-2", key: TestKeys.key("eu-2"), method: "GET", path: "/v1/config?after=0", timeMs: center.clock.nowMs, body: Data())
            {
                headers[HTTPField.Name(header.name)!] = header.value
            }
            let answer = try await stranger.execute(uri: "/v1/config?after=0", method: .get, headers: headers)
            #expect(answer.status == .ok)
            #expect(try center.decode(ClusterConfig.self, answer).units.map(\.id) == ["eu-1", "eu-2"])
        }
    }
}
