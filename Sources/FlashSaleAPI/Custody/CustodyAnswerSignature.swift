// A guardian's signature on its answer to one signed request, so the owner acts only on the guardian's own word.

public import Crypto
public import Foundation
public import HTTPTypes
import FlashSaleCore

/// Ed25519, by the answering unit's own key, over `"flashsale-custody-answer\n"`, the request's signature
/// (`NodeRequestSignature`, unique to that request: it covers its time and body) and the answer body's SHA-256. An
/// owner tells a buyer of an order only once its guardian accepted the copy; an "accepted" that an attacker replayed
/// from another request, or wrote, fails this check and counts as no answer.
public enum CustodyAnswerSignature {
    public static let header = HTTPField.Name("X-Flashsale-Answer-Signature")!

    private static func message(requestSignature: String, body: some DataProtocol) -> Data {
        let digest = LowercaseHex.string(SHA256.hash(data: Data(body)))
        return Data("flashsale-custody-answer\n\(requestSignature)\n\(digest)".utf8)
    }

    public static func sign(requestSignature: String, body: some DataProtocol, key: NodeKey) throws -> String {
        LowercaseHex.string(try key.signature(for: message(requestSignature: requestSignature, body: body)))
    }

    public static func isValid(
        _ signature: String?, requestSignature: String, body: some DataProtocol, publicKey: Curve25519.Signing.PublicKey
    ) -> Bool {
        guard let signature, signature.utf8.count == 128, let bytes = LowercaseHex.bytes(signature) else { return false }
        return publicKey.isValidSignature(bytes, for: message(requestSignature: requestSignature, body: body))
    }
}
