// The gossip sender's own signature: proof of which node sent a message, by that node's key.

public import Crypto
import FlashSaleCore
public import Foundation
public import HTTPTypes

/// Ed25519 over `"flashsale-gossip\n" + body`, by the sending node's own key (`NodeKey`). The cluster secret
/// (`GossipSeal`) proves only that the sender is one of the nodes; this proves which one, so a node that holds the
/// secret cannot speak as another (as the config-center, say, granting itself stock). The receiver checks it with the
/// key the sender was enrolled with: for units, the keys in the signed configuration; for the config-center, its
/// pinned key.
public enum GossipSenderSignature {
    /// The header carrying the signature (128 hex digits).
    public static let header = "X-Flashsale-Sender-Signature"
    /// `header` as a field name. The literal is a valid token, so the initializer cannot fail (no input reaches it).
    public static let headerName = HTTPField.Name(header)!
    /// The header naming the sending node. A receiver checks it is a member before it reads the body (up to 4 MiB),
    /// so a stranger cannot make it read megabytes to find out; the signed envelope's `from` must then say the same.
    public static let senderHeader = "X-Flashsale-Gossip-From"
    public static let senderHeaderName = HTTPField.Name(senderHeader)!

    private static func message(_ body: some DataProtocol) -> Data { Data("flashsale-gossip\n".utf8) + Data(body) }

    /// `key`'s signature of `body`, hex.
    public static func sign(_ body: some DataProtocol, key: NodeKey) throws -> String {
        LowercaseHex.string(try key.signature(for: message(body)))
    }

    /// Whether `signature` (hex) is `publicKey`'s over `body`.
    public static func isValid(_ signature: String?, body: some DataProtocol, publicKey: Curve25519.Signing.PublicKey) -> Bool {
        guard let signature, signature.utf8.count == 128, let bytes = LowercaseHex.bytes(signature) else { return false }
        return publicKey.isValidSignature(bytes, for: message(body))
    }
}
