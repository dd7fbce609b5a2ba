// Who may read a unit's order log and who may mark an order paid.

import Crypto
import FlashSaleAPI
import FlashSaleCore
import Foundation
import HTTPTypes
import Hummingbird

/// The order log and its stream carry every buyer's id and order: they are for the shop's fulfilment consumers,
/// who present the orders credential. Payment is the payment provider's word, signed with the webhook secret
/// (`PaymentCallback`), never the buyer's. A unit started without either refuses that door to everyone.
///
/// Looking an order up and cancelling it are its buyer's: with the buyer token of the order's user, or with the
/// order's secret, which only the 201 answer carries (so in a sale without tokens, where `?user=` names anyone, only
/// the buyer can). The secret is an HMAC of the order id under a key derived from the unit's own key: nothing is
/// stored, it survives restarts, and an idempotent replay answers the same secret.
struct OrderAccess: Sendable {
    /// The header that carries an order's secret.
    static let secretHeader = HTTPField.Name("X-Flashsale-Order-Secret")!

    /// SHA-256 of the orders credential: compared digest to digest, in constant time.
    private let credentialDigest: [UInt8]?
    private let webhookSecret: String?
    /// The HMAC order secrets are made with, keyed once: each secret copies it and adds the order id (keying it
    /// per order showed in the profile of every 201).
    private let secretMAC: HMAC<SHA256>

    init(ordersCredential: String?, paymentWebhookSecret: String?, nodeKey: NodeKey) {
        credentialDigest = ordersCredential.map { Array(SHA256.hash(data: Data($0.utf8))) }
        webhookSecret = paymentWebhookSecret
        let secretKey = Array(SHA256.hash(data: Data("flashsale-order-secret\n".utf8) + nodeKey.privateKey.rawRepresentation))
        secretMAC = HMAC<SHA256>(key: SymmetricKey(data: secretKey))
    }

    /// The secret of order `id`: 32 hex digits (128 bits).
    func orderSecret(for id: String) -> String {
        var mac = secretMAC
        // A native string's bytes in place (every 201 computes one); an array of them otherwise.
        if id.utf8.withContiguousStorageIfAvailable({ mac.update(data: UnsafeRawBufferPointer($0)) }) == nil {
            mac.update(data: Array(id.utf8))
        }
        return mac.finalize().withUnsafeBytes { LowercaseHex.string(UnsafeRawBufferPointer(rebasing: $0.prefix(16))) }
    }

    /// Whether `request` carries order `id`'s secret.
    func hasOrderSecret(_ request: Request, for id: String) -> Bool {
        guard let given = request.headers[Self.secretHeader], given.utf8.count == 32 else { return false }
        return Self.equal(Array(given.utf8), Array(orderSecret(for: id).utf8))
    }

    /// Whether `request` carries the orders credential.
    func isConsumer(_ request: Request) -> Bool {
        guard let credentialDigest, let given = PurchaseFront.bearerToken(request.headers[.authorization]) else { return false }
        return Self.equal(Array(SHA256.hash(data: Data(given.utf8))), credentialDigest)
    }

    /// Throws 401 unless `request` carries the orders credential.
    func requireConsumer(_ request: Request) throws {
        guard credentialDigest != nil else {
            throw Problem(.unauthorized, "this unit serves its order log to no one: start it with --orders-credential-file")
        }
        guard isConsumer(request) else {
            throw Problem(.unauthorized, "the order log needs the orders credential: Authorization: Bearer <credential>")
        }
    }

    /// Throws 401 unless `request` is the payment provider's signed callback for `path` with `body`.
    func requirePaymentProvider(_ request: Request, path: String, body: some DataProtocol, nowMs: Int64) throws {
        guard let webhookSecret else {
            throw Problem(.unauthorized, "this unit takes no payments: start it with --payment-webhook-secret-file")
        }
        guard PaymentCallback.isValid(
            header: request.headers[PaymentCallback.header], secret: webhookSecret, path: path, body: body,
            nowSeconds: nowMs / 1000)
        else {
            throw Problem(
                .unauthorized,
                "an order is paid by the payment provider's callback, signed with the webhook secret (X-Flashsale-Payment-Signature: t=<unix>,v1=<hmac>), within \(PaymentCallback.toleranceSeconds) s")
        }
    }

    private static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
