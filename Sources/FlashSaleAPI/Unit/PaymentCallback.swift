// The payment provider's callback that marks an order paid: signed with the webhook secret, timestamped.

import Crypto
public import Foundation
public import HTTPTypes
import FlashSaleCore

/// `X-Flashsale-Payment-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>` over `<t>.POST <path>.<body>`, the way
/// payment providers sign their webhooks: only who holds the webhook secret can mark an order paid, the signature
/// names the order (its path) so it cannot be moved to another, and a callback older than `toleranceSeconds` is
/// refused, so a captured one cannot be sent again later.
public enum PaymentCallback {
    public static let header = HTTPField.Name("X-Flashsale-Payment-Signature")!
    /// How far the callback's time may be from the unit's clock.
    public static let toleranceSeconds: Int64 = 300
    /// Shortest webhook secret accepted, in bytes.
    public static let secretMinBytes = 16

    /// The header value for a callback to `path` with `body` at `unixSeconds`.
    public static func signature(secret: String, path: String, body: some DataProtocol, unixSeconds: Int64) -> String {
        "t=\(unixSeconds),v1=\(mac(secret: secret, path: path, body: body, unixSeconds: unixSeconds))"
    }

    /// Whether `header` is a valid signature of this callback within the tolerance of `nowSeconds`.
    public static func isValid(
        header: String?, secret: String, path: String, body: some DataProtocol, nowSeconds: Int64
    ) -> Bool {
        guard let header, header.utf8.count <= 200 else { return false }
        var time: Int64?
        var given: [UInt8]?
        for part in header.split(separator: ",") {
            if part.hasPrefix("t=") { time = Int64(part.dropFirst(2)) }
            if part.hasPrefix("v1=") { given = LowercaseHex.bytes(String(part.dropFirst(3))) }
        }
        // Both times are range-checked before the subtraction, so no value of t (nor a wild clock) can overflow it.
        let years = Int64(0)...4_102_444_800  // 1970 to 2100
        guard let time, years.contains(time), years.contains(nowSeconds), let given, given.count == SHA256.byteCount,
            abs(time - nowSeconds) <= toleranceSeconds
        else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(
            given, authenticating: message(path: path, body: body, unixSeconds: time), using: SymmetricKey(data: Data(secret.utf8)))
    }

    private static func message(path: String, body: some DataProtocol, unixSeconds: Int64) -> Data {
        Data("\(unixSeconds).POST \(path).".utf8) + Data(body)
    }

    private static func mac(secret: String, path: String, body: some DataProtocol, unixSeconds: Int64) -> String {
        LowercaseHex.string(
            HMAC<SHA256>.authenticationCode(
                for: message(path: path, body: body, unixSeconds: unixSeconds), using: SymmetricKey(data: Data(secret.utf8))))
    }
}
