// Authenticates gossip with the cluster secret: HMAC-SHA256 over the exact body bytes.

import Crypto
public import Foundation
public import HTTPTypes

/// Signs and checks gossip bodies with a secret every node of the cluster shares. A message whose signature
/// does not match its bytes, whatever they are, is refused before it is even decoded.
public struct GossipSeal: Sendable {
    /// The header carrying the hex signature.
    public static let header = "X-Flashsale-Signature"
    /// `header` as a field name. The literal is a valid token, so the initializer cannot fail (no input reaches it).
    public static let headerName = HTTPField.Name(header)!
    /// Shortest secret accepted, in bytes.
    public static let secretMinBytes = 16

    /// The secret's bytes; a `SymmetricKey` is made per use because it is not Sendable.
    private let secret: [UInt8]

    /// Nil when `secret` is shorter than `secretMinBytes`.
    public init?(secret: some DataProtocol) {
        guard secret.count >= Self.secretMinBytes else { return nil }
        self.secret = Array(secret)
    }

    private var key: SymmetricKey { SymmetricKey(data: secret) }

    public func signature(for body: some DataProtocol) -> String {
        HMAC<SHA256>.authenticationCode(for: body, using: key).map { String(format: "%02x", $0) }.joined()
    }

    /// True when `signature` (hex) is the body's HMAC; compared in constant time.
    public func verify(_ signature: String, body: some DataProtocol) -> Bool {
        guard let bytes = Self.bytes(hex: signature), bytes.count == SHA256.byteCount else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(bytes, authenticating: body, using: key)
    }

    private static func bytes(hex: String) -> [UInt8]? {
        let utf8 = Array(hex.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = nibble(utf8[index]), let low = nibble(utf8[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func nibble(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}
