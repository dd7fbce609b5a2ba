// A node's HTTP request to the config-center, signed with its own key: who sent it, when, and exactly what.

public import Crypto
public import Foundation
public import HTTPTypes
import FlashSaleCore

/// The signature covers the sender's id, the method, the path with its query, the time and the body's SHA-256, so a
/// signed request cannot be claimed by another node, pointed at another route, given another body or sent again
/// much later. The receiver checks the
/// sender's enrolled public key, the time against its own clock, and (for changes) that the time only grows.
public enum NodeRequestSignature {
    public static let nodeHeader = HTTPField.Name("X-Flashsale-Node")!
    public static let timeHeader = HTTPField.Name("X-Flashsale-Time")!
    public static let signatureHeader = HTTPField.Name("X-Flashsale-Node-Signature")!
    /// How far the sender's clock may be from the receiver's.
    public static let clockSkewMs: Int64 = 60_000

    /// The bytes signed.
    public static func message(node: String, method: String, path: String, timeMs: Int64, body: some DataProtocol) -> Data {
        let digest = LowercaseHex.string(SHA256.hash(data: Data(body)))
        return Data("flashsale-node-request\n\(node)\n\(method)\n\(path)\n\(timeMs)\n\(digest)".utf8)
    }

    /// The three headers of a request from `node`.
    public static func headers(
        node: String, key: NodeKey, method: String, path: String, timeMs: Int64, body: some DataProtocol
    ) throws -> [(name: String, value: String)] {
        let signature = try key.signature(for: message(node: node, method: method, path: path, timeMs: timeMs, body: body))
        return [
            (nodeHeader.rawName, node), (timeHeader.rawName, String(timeMs)),
            (signatureHeader.rawName, LowercaseHex.string(signature)),
        ]
    }

    /// Whether `signature` (hex) is `publicKey`'s over this request from `node`.
    public static func isValid(
        signature: String, publicKey: Curve25519.Signing.PublicKey, node: String, method: String, path: String,
        timeMs: Int64, body: some DataProtocol
    ) -> Bool {
        guard let bytes = LowercaseHex.bytes(signature), bytes.count == 64 else { return false }
        return publicKey.isValidSignature(
            bytes, for: message(node: node, method: method, path: path, timeMs: timeMs, body: body))
    }
}
