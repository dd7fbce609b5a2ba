// The configuration as the config-center signs it, and as a unit checks it against the key it pinned.

public import Crypto
public import Foundation
public import HTTPTypes
import FlashSaleCore

/// The config-center signs the exact bytes of every configuration it answers with its own key; a unit adopts a
/// configuration only when that signature is good for the key it pinned. So whoever can answer in the
/// config-center's place (a hijacked address, a proxy) cannot hand units grants, sales or keys.
public enum ConfigSignature {
    /// The hex Ed25519 signature over `message(body)`.
    public static let signatureHeader = HTTPField.Name("X-Flashsale-Config-Signature")!
    /// The signer's public key (64 hex digits), for a unit that has not pinned one yet.
    public static let keyHeader = HTTPField.Name("X-Flashsale-Center-Key")!

    /// The bytes signed: a fixed prefix, so a configuration signature can never pass for any other signature.
    public static func message(_ body: some DataProtocol) -> Data { Data("flashsale-config\n".utf8) + Data(body) }

    public static func signature(for body: some DataProtocol, key: NodeKey) throws -> String {
        LowercaseHex.string(try key.signature(for: message(body)))
    }

    public static func isValid(signature: String, body: some DataProtocol, publicKey: Curve25519.Signing.PublicKey) -> Bool {
        guard let bytes = LowercaseHex.bytes(signature), bytes.count == 64 else { return false }
        return publicKey.isValidSignature(bytes, for: message(body))
    }
}
