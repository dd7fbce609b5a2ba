// Units adopt only configurations signed by the config-center key they pinned: at first contact, or given by the
// operator; a configuration from anyone else (another key, altered bytes, no signature) is refused.

import Crypto
import FlashSaleAPI
import FlashSaleCore
import Foundation
import HummingbirdTesting
import Logging
import Testing
import TestSupport
@testable import UnitNode

@Suite struct CenterKeyPinTests {
    private func folder() throws -> String {
        let path = TestRun.folder + "/pin-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// The nonce every check below is made for, as if this unit had sent it.
    private let nonce = ConfigSignature.makeNonce()

    private func signed(_ text: String, by key: NodeKey, nonce: String? = nil) throws -> (body: Data, signature: String) {
        let body = Data(text.utf8)
        return (body, try ConfigSignature.signature(for: body, nonce: nonce ?? self.nonce, key: key))
    }

    @Test func theFirstKeyIsPinnedAndKeptAcrossRestarts() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let center = NodeKey.generate(), attacker = NodeKey.generate()
        let pin = try CenterKeyPin(given: nil, file: dir + "/center.pub")
        let first = try signed(#"{"version":1}"#, by: center)
        try pin.check(body: first.body, nonce: nonce, signature: first.signature, offeredKey: center.publicKey)
        #expect(pin.key == center.publicKey)

        // Another key, even offering itself, is refused; the pinned one still passes.
        let forged = try signed(#"{"version":2}"#, by: attacker)
        #expect(throws: CenterKeyPin.Refusal.self) {
            try pin.check(body: forged.body, nonce: nonce, signature: forged.signature, offeredKey: attacker.publicKey)
        }
        let second = try signed(#"{"version":2}"#, by: center)
        try pin.check(body: second.body, nonce: nonce, signature: second.signature, offeredKey: attacker.publicKey)

        // After a restart the pin comes from the file.
        let restarted = try CenterKeyPin(given: nil, file: dir + "/center.pub")
        #expect(restarted.key == center.publicKey)
        #expect(throws: CenterKeyPin.Refusal.self) {
            try restarted.check(body: forged.body, nonce: nonce, signature: forged.signature, offeredKey: attacker.publicKey)
        }
    }

    @Test func alteredUnsignedOrSelfContradictoryConfigurationsAreRefused() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let center = NodeKey.generate()
        let pin = try CenterKeyPin(given: nil, file: dir + "/center.pub")
        let good = try signed(#"{"version":1}"#, by: center)
        #expect(throws: CenterKeyPin.Refusal.self) { try pin.check(body: good.body, nonce: nonce, signature: nil, offeredKey: center.publicKey) }
        #expect(throws: CenterKeyPin.Refusal.self) {
            try pin.check(body: Data(#"{"version":9}"#.utf8), nonce: nonce, signature: good.signature, offeredKey: center.publicKey)
        }
        #expect(throws: CenterKeyPin.Refusal.self) { try pin.check(body: good.body, nonce: nonce, signature: good.signature, offeredKey: nil) }
        #expect(pin.key == nil, "nothing was pinned by a refused configuration")
        #expect(!FileManager.default.fileExists(atPath: dir + "/center.pub"))
        // A genuine configuration signed for another request (another nonce) is a replay: refused.
        let replayed = try signed(#"{"version":1}"#, by: center, nonce: ConfigSignature.makeNonce())
        #expect(throws: CenterKeyPin.Refusal.self) {
            try pin.check(body: replayed.body, nonce: nonce, signature: replayed.signature, offeredKey: center.publicKey)
        }
        // A signature over the same bytes for another purpose (a node request) is no configuration signature.
        let other = try center.signature(for: good.body)
        #expect(throws: CenterKeyPin.Refusal.self) {
            try pin.check(body: good.body, nonce: nonce, signature: LowercaseHex.string(other), offeredKey: center.publicKey)
        }
    }

    @Test func aKeyGivenByTheOperatorIsTheOnlyOneAccepted() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let center = NodeKey.generate(), impostor = NodeKey.generate()
        let pin = try CenterKeyPin(given: center.publicKey, file: dir + "/center.pub")
        let first = try signed("{}", by: impostor)
        #expect(throws: CenterKeyPin.Refusal.self) {
            try pin.check(body: first.body, nonce: nonce, signature: first.signature, offeredKey: impostor.publicKey)
        }
        #expect(throws: CenterKeyPin.Refusal.self) { _ = try CenterKeyPin(given: "not-a-key", file: dir + "/x.pub") }
        try "garbage".write(toFile: dir + "/bad.pub", atomically: true, encoding: .utf8)
        #expect(throws: CenterKeyPin.Refusal.self) { _ = try CenterKeyPin(given: nil, file: dir + "/bad.pub") }
    }

    /// A unit that pinned its config-center's key does not adopt a configuration from a config-center with another
    /// key (a hijacked address), however much stock it grants.
    @Test func aUnitIgnoresAConfigurationSignedByAnotherKey() async throws {
        let center = FakeCenter()
        let now = Date().millisecondsSince1970
        center.publish(FakeCenter.config(units: ["eu-west-1"], region: "eu-west", stock: 3, nowMs: now))
        let directory = try folder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let logger = {
            var logger = Logger(label: "pin-test")
            logger.logLevel = .critical
            return logger
        }()
        try await center.application().testLive { centerClient in
            let port = try #require(centerClient.port)
            let settings = UnitSettings(
                unit: "eu-west-1", region: "eu-west", port: 0, dataDirectory: directory, centerURL: "http://127.0.0.1:\(port)",
                reportInterval: .seconds(60), longPollSeconds: 1, recoveryPatience: .seconds(600))
            let unit = try await UnitServer.application(settings: settings, logger: logger)
            try await unit.test(.router) { client in
                func stockLeft() async throws -> Int64? {
                    let answer = try await client.execute(uri: "/v1/sales/phone", method: .get)
                    return answer.status == .ok ? try answer.decoded(SaleView.self).stockLeft : nil
                }
                for _ in 0..<200 where try await stockLeft() != 3 { try await Task.sleep(for: .milliseconds(50)) }
                #expect(try await stockLeft() == 3)
                let pinned = try String(contentsOfFile: directory + "/center.pub", encoding: .utf8)
                #expect(pinned.hasPrefix(center.key.withLock { $0.publicKey }))

                // Someone else answers at the config-center's address now, granting 1,000.
                let genuine = center.key.withLock { $0 }
                center.key.withLock { $0 = NodeKey.generate() }
                var hijacked = FakeCenter.config(units: ["eu-west-1"], region: "eu-west", stock: 1_000, nowMs: now)
                hijacked.version = 2
                center.publish(hijacked)
                try await Task.sleep(for: .seconds(3))  // three long-polls of 1 s: time to adopt it, were it trusted
                #expect(try await stockLeft() == 3, "the hijacked configuration was not adopted")

                // The genuine config-center's next configuration is adopted: the unit kept asking all along.
                center.key.withLock { $0 = genuine }
                var next = FakeCenter.config(units: ["eu-west-1"], region: "eu-west", stock: 5, nowMs: now)
                next.version = 3
                center.publish(next)
                for _ in 0..<200 where try await stockLeft() != 5 { try await Task.sleep(for: .milliseconds(50)) }
                #expect(try await stockLeft() == 5)
            }
        }
    }
}
