// A node's own signing key: made at its first start, kept in its data directory, never sent anywhere.

public import Crypto
public import Foundation
import FlashSaleCore

/// The Ed25519 key pair that proves which node a message comes from. Each node has its own, so no node can speak
/// for another, and a key that leaks is revoked by re-enrolling that one node.
public struct NodeKey: Sendable {
    public let privateKey: Curve25519.Signing.PrivateKey

    public init(privateKey: Curve25519.Signing.PrivateKey) { self.privateKey = privateKey }

    /// A new random key.
    public static func generate() -> NodeKey { NodeKey(privateKey: Curve25519.Signing.PrivateKey()) }

    /// The public half as the config-center stores it and operators copy it: 64 lowercase hex digits.
    public var publicKey: String { LowercaseHex.string(privateKey.publicKey.rawRepresentation) }

    public func signature(for message: some DataProtocol) throws -> Data { try privateKey.signature(for: message) }

    /// The key in `file`, or a new one written there (mode 0600) when the file does not exist yet.
    public static func loadOrCreate(file: String) throws -> NodeKey {
        if FileManager.default.fileExists(atPath: file) {
            let hex = try SecretFile.read(file, what: "node key")
            guard let bytes = LowercaseHex.bytes(hex), bytes.count == 32,
                let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: bytes)
            else { throw SecretFile.Failure(description: "node key \(file) is not 64 hex digits") }
            return NodeKey(privateKey: key)
        }
        let key = Curve25519.Signing.PrivateKey()
        try SecretFile.write(LowercaseHex.string(key.rawRepresentation) + "\n", to: file)
        return NodeKey(privateKey: key)
    }

    /// The name of the key file in a node's data directory.
    public static let fileName = "node.key"

    /// A public key as operators give it (64 hex digits), or nil.
    public static func publicKey(_ text: String) -> Curve25519.Signing.PublicKey? {
        guard let bytes = LowercaseHex.bytes(text), bytes.count == 32 else { return nil }
        return try? Curve25519.Signing.PublicKey(rawRepresentation: bytes)
    }
}
