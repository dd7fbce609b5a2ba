// The configuration as the config-center signs it, and as a unit checks it against the key it pinned.

public import Crypto
public import Foundation
public import HTTPTypes
import FlashSaleCore

/// The config-center signs the exact bytes of every configuration it answers with its own key, together with the
/// nonce the asking unit sent (`X-Flashsale-Config-Nonce`); a unit adopts a configuration only when that
/// signature is good for the key it pinned and for its own fresh nonce. So whoever can answer in the
/// config-center's place (a hijacked address, a proxy) cannot hand units grants, sales or keys, nor replay an old
/// genuine configuration (which would roll a recovering unit back to counters it has since passed).
public enum ConfigSignature {
    /// The hex Ed25519 signature over `message(body)`.
    public static let signatureHeader = HTTPField.Name("X-Flashsale-Config-Signature")!
    /// The signer's public key (64 hex digits), for a unit that has not pinned one yet.
    public static let keyHeader = HTTPField.Name("X-Flashsale-Center-Key")!
    /// The asker's nonce (request header): 32 lowercase hex digits, a new one per request.
    public static let nonceHeader = HTTPField.Name("X-Flashsale-Config-Nonce")!

    /// A fresh nonce.
    public static func makeNonce() -> String {
        var generator = SystemRandomNumberGenerator()
        return LowercaseHex.string((0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    /// The nonce of a request header, when it is one (anything else signs as no nonce, which no unit accepts).
    public static func nonce(_ header: String?) -> String {
        guard let header, header.utf8.count == 32, LowercaseHex.bytes(header) != nil else { return "" }
        return header
    }

    /// The bytes signed: a fixed prefix (so a configuration signature can never pass for any other signature), the
    /// nonce, then the body.
    public static func message(nonce: String, body: some DataProtocol) -> Data {
        Data("flashsale-config\n\(nonce)\n".utf8) + Data(body)
    }

    public static func signature(for body: some DataProtocol, nonce: String, key: NodeKey) throws -> String {
        LowercaseHex.string(try key.signature(for: message(nonce: nonce, body: body)))
    }

    public static func isValid(
        signature: String, body: some DataProtocol, nonce: String, publicKey: Curve25519.Signing.PublicKey
    ) -> Bool {
        guard let bytes = LowercaseHex.bytes(signature), bytes.count == 64 else { return false }
        return publicKey.isValidSignature(bytes, for: message(nonce: nonce, body: body))
    }
}
