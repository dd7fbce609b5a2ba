// Order secrets: the HMAC keyed once gives each order the secret a fresh HMAC would, whatever came before.

import Crypto
import FlashSaleAPI
import Foundation
import Testing
@testable import UnitNode

@Suite struct OrderAccessTests {
    @Test func eachSecretIsTheHMACOfItsOwnIdAlone() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("order-access-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let key = try NodeKey.loadOrCreate(file: directory + "/" + NodeKey.fileName)
        let access = OrderAccess(ordersCredential: nil, paymentWebhookSecret: nil, nodeKey: key)
        let secretKey = SymmetricKey(
            data: Array(SHA256.hash(data: Data("flashsale-order-secret\n".utf8) + key.privateKey.rawRepresentation)))
        let ids = ["eu-1-1-0", "eu-1-1-1", "eu-1-1-0", "eu-1-1764684000123-42"]
        for id in ids {
            let fresh = HMAC<SHA256>.authenticationCode(for: Data(id.utf8), using: secretKey)
            let expected = fresh.map { String(format: "%02x", $0) }.joined().prefix(32)
            #expect(access.orderSecret(for: id) == String(expected), "\(id)")
        }
        #expect(access.orderSecret(for: "eu-1-1-0") != access.orderSecret(for: "eu-1-1-1"))
    }
}
