// A private key that signs buyer tokens, and the public half the configuration hands to units.

import JWTKit

/// The issuer's side of a `BuyerTokenKey`: it mints tokens, units never see it. Its `description` hides the
/// private key so that logging one does not leak it.
public struct BuyerTokenSigningKey: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The key id written into every token's header, so verifiers pick the right public key.
    public let kid: String
    /// A P-256 private key, PEM.
    public let privateKeyPEM: String
    /// The public half, to publish in the configuration.
    public let publicKey: BuyerTokenKey

    /// Refuses an empty `kid` or a PEM that is not a P-256 private key, so a bad key fails where it is loaded.
    public init(kid: String, privateKeyPEM: String) throws(BuyerTokenKeyError) {
        guard !kid.isEmpty else { throw .emptyKid }
        guard let privateKey = try? ES256PrivateKey(pem: privateKeyPEM) else { throw .invalidPrivateKey(kid: kid) }
        self.init(kid: kid, privateKey: privateKey)
    }

    private init(kid: String, privateKey: ES256PrivateKey) {
        self.kid = kid
        self.privateKeyPEM = privateKey.pemRepresentation
        self.publicKey = BuyerTokenKey(kid: kid, publicKeyPEM: privateKey.publicKey.pemRepresentation)
    }

    /// A new random P-256 key; `kid` should be non-empty and unique among live keys, or verifiers refuse it.
    public static func generate(kid: String) -> BuyerTokenSigningKey {
        BuyerTokenSigningKey(kid: kid, privateKey: ES256PrivateKey())
    }

    /// A compact ES256 JWT carrying `claims`, with this key's `kid` in its header.
    public func mint(_ claims: BuyerClaims) async throws -> String {
        let keys = JWTKeyCollection()
        let kid = JWKIdentifier(string: kid)
        await keys.add(ecdsa: try ES256PrivateKey(pem: privateKeyPEM), kid: kid)
        return try await keys.sign(claims, kid: kid)
    }

    public var description: String { "BuyerTokenSigningKey(kid: \(kid), private key hidden)" }

    private enum CodingKeys: String, CodingKey {
        case kid
        case privateKeyPEM
    }

    /// Decodes through the checking initializer, so a stored key is as trustworthy as a new one.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(
            kid: container.decode(String.self, forKey: .kid),
            privateKeyPEM: container.decode(String.self, forKey: .privateKeyPEM))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(kid, forKey: .kid)
        try container.encode(privateKeyPEM, forKey: .privateKeyPEM)
    }
}
