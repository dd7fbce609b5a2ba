// Authenticates gossip with the cluster secret: HMAC-SHA256 over the exact body bytes.

import Crypto
import FlashSaleCore
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
        LowercaseHex.string(HMAC<SHA256>.authenticationCode(for: body, using: key))
    }

    /// True when `signature` (hex) is the body's HMAC; compared in constant time.
    public func verify(_ signature: String, body: some DataProtocol) -> Bool {
        guard let bytes = LowercaseHex.bytes(signature), bytes.count == SHA256.byteCount else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(bytes, authenticating: body, using: key)
    }
}
