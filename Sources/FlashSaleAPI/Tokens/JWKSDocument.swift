// A JSON Web Key Set (RFC 7517) as an identity provider publishes it, and the buyer-token keys taken from it.

import Crypto
public import Foundation

/// An identity provider's public keys, as its `jwks_uri` serves them. Only what a unit can check is taken: P-256
/// keys for ES256 (`kty` "EC", `crv` "P-256"), each with a `kid`; keys for encryption (`use` "enc") or for another
/// algorithm are named and left out, so an operator sees why a key does not count.
public struct JWKSDocument: Codable, Sendable, Equatable {
    /// Most keys a document may hold: every key travels in every unit's configuration.
    public static let keysMax = 32

    public var keys: [Key]

    public init(keys: [Key]) {
        self.keys = keys
    }

    /// One JWK; members other than these (an RSA key's `n` and `e`, `x5c`, ...) are ignored.
    public struct Key: Codable, Sendable, Equatable {
        public var kty: String?
        public var crv: String?
        public var x: String?
        public var y: String?
        public var kid: String?
        public var alg: String?
        public var use: String?

        public init(kty: String?, crv: String?, x: String?, y: String?, kid: String?, alg: String? = nil, use: String? = nil) {
            self.kty = kty
            self.crv = crv
            self.x = x
            self.y = y
            self.kid = kid
            self.alg = alg
            self.use = use
        }

        /// The JWK of a P-256 public key, as an identity provider would publish it.
        public init(p256 key: P256.Signing.PublicKey, kid: String) {
            let raw = key.rawRepresentation
            self.init(
                kty: "EC", crv: "P-256", x: Self.base64URL(raw.prefix(32)), y: Self.base64URL(raw.suffix(32)), kid: kid,
                alg: "ES256", use: "sig")
        }

        static func base64URL(_ bytes: Data) -> String {
            bytes.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
        }
    }

    /// What the document yields: the keys a unit can check tokens with, and why each other key was left out.
    public func buyerTokenKeys() -> (keys: [BuyerTokenKey], skipped: [String]) {
        var keys: [BuyerTokenKey] = []
        var skipped: [String] = []
        for (index, key) in self.keys.enumerated() {
            let name = key.kid.map { "'\($0)'" } ?? "#\(index + 1)"
            if let reason = Self.unusable(key) {
                skipped.append("key \(name): \(reason)")
                continue
            }
            guard let kid = key.kid, let x = key.x.flatMap(Self.bytes), let y = key.y.flatMap(Self.bytes),
                x.count == 32, y.count == 32,
                let publicKey = try? P256.Signing.PublicKey(rawRepresentation: x + y)
            else {
                skipped.append("key \(name): x and y are not a point of P-256 in base64url")
                continue
            }
            keys.append(BuyerTokenKey(kid: kid, publicKeyPEM: publicKey.pemRepresentation))
        }
        return (keys, skipped)
    }

    private static func unusable(_ key: Key) -> String? {
        if key.use != nil, key.use != "sig" { return "for \(key.use ?? "") only, not signatures" }
        if key.kty != "EC" || key.crv != "P-256" { return "\(key.kty ?? "no kty") \(key.crv ?? ""): only P-256 (ES256) keys are checked" }
        if key.alg != nil, key.alg != BuyerTokenVerifier.algorithm { return "alg \(key.alg ?? ""): only ES256" }
        guard let kid = key.kid, !kid.isEmpty, kid.utf8.count <= TokenIssuer.kidMaxBytes else {
            return "no kid (or longer than \(TokenIssuer.kidMaxBytes) bytes): tokens could not name it"
        }
        return nil
    }

    /// Unpadded base64url to bytes, nil for anything else.
    private static func bytes(_ text: String) -> Data? {
        guard text.utf8.count <= 64 else { return nil }
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        guard !base64.contains("=") else { return nil }
        while base64.utf8.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }
}
