// The shop's identity provider: its JWKS document read as units can use it, set and cleared by an admin only, carried
// in the configuration; and the verifier's checks of its tokens.

import ConfigCenter
import Crypto
import FlashSaleAPI
import Foundation
import HummingbirdTesting
import NIOCore
import Testing

@Suite struct TokenIssuerTests {
    static let provider = BuyerTokenSigningKey.generate(kid: "idp-1")

    /// The provider's key as its JWKS document lists it.
    static func jwk(_ key: BuyerTokenSigningKey = TokenIssuerTests.provider) throws -> JWKSDocument.Key {
        JWKSDocument.Key(p256: try P256.Signing.PublicKey(pemRepresentation: key.publicKey.publicKeyPEM), kid: key.kid)
    }

    /// A JWKS document as identity providers publish them: an ES256 key, an RSA key, an encryption key, a key
    /// without kid and one whose point is not on the curve.
    static func document() throws -> JWKSDocument {
        var offCurve = try jwk()
        offCurve.kid = "bent"
        offCurve.y = offCurve.x
        var encryption = try jwk()
        encryption.kid = "enc-1"
        encryption.use = "enc"
        var anonymous = try jwk()
        anonymous.kid = nil
        return JWKSDocument(keys: [
            try jwk(), JWKSDocument.Key(kty: "RSA", crv: nil, x: nil, y: nil, kid: "rsa-1", alg: "RS256"), encryption,
            anonymous, offCurve,
        ])
    }

    @Test func aJWKSDocumentYieldsItsP256KeysAndNamesTheOthers() throws {
        let (keys, skipped) = try Self.document().buyerTokenKeys()
        #expect(keys.map(\.kid) == ["idp-1"])
        let key = try #require(keys.first)
        #expect(
            try P256.Signing.PublicKey(pemRepresentation: key.publicKeyPEM).rawRepresentation
                == P256.Signing.PublicKey(pemRepresentation: Self.provider.publicKey.publicKeyPEM).rawRepresentation)
        #expect(skipped.count == 4)
        #expect(skipped.contains { $0.contains("'rsa-1'") && $0.contains("P-256") })
        #expect(skipped.contains { $0.contains("'enc-1'") && $0.contains("enc") })
        #expect(skipped.contains { $0.contains("#4") && $0.contains("no kid") })
        #expect(skipped.contains { $0.contains("'bent'") && $0.contains("point") })

        // A document with no usable key is refused, saying why each key was left out.
        let rsaOnly = TokenIssuerSpec(
            issuer: "https://id.example", audience: "flashsale",
            jwks: JWKSDocument(keys: [JWKSDocument.Key(kty: "RSA", crv: nil, x: nil, y: nil, kid: "rsa-1")]))
        guard case .failure(let problem) = rsaOnly.issuerSettings() else { Issue.record("taken"); return }
        #expect(problem.text.contains("rsa-1"))
    }

    @Test func settingsOutOfRangeAreRefused() throws {
        let document = JWKSDocument(keys: [try Self.jwk()])
        for spec in [
            TokenIssuerSpec(issuer: "", audience: "flashsale", jwks: document),
            TokenIssuerSpec(issuer: "https://id.example", audience: "two words", jwks: document),
            TokenIssuerSpec(issuer: "https://id.example", audience: "flashsale", maxLifetimeSeconds: 5, jwks: document),
            TokenIssuerSpec(issuer: "https://id.example", audience: "flashsale", maxLifetimeSeconds: .max, jwks: document),
            TokenIssuerSpec(issuer: "https://id.example", audience: "flashsale", maxLifetimeSeconds: .min, jwks: document),
            TokenIssuerSpec(
                issuer: "https://id.example", audience: "flashsale",
                jwks: JWKSDocument(keys: Array(repeating: try Self.jwk(), count: JWKSDocument.keysMax + 1))),
            TokenIssuerSpec(issuer: "https://id.example", audience: "flashsale", jwks: JWKSDocument(keys: [try Self.jwk(), try Self.jwk()])),
        ] {
            if case .success = spec.issuerSettings() { Issue.record("taken: \(spec)") }
        }
    }

    /// An admin sets the provider, viewers read it, units get it in their configuration (without the operator's
    /// notes), and a clear removes it; operators may not set it, and a refused change changes nothing.
    @Test func anAdminSetsItUnitsGetItAndOnlyAnAdminChangesIt() async throws {
        try await withCenter { center in
            try center.expectProblem(try await center.get("/v1/token-issuer"), .notFound)
            let before = try await center.version()
            let spec = TokenIssuerSpec(issuer: "https://id.shop.example", audience: "flashsale", jwks: try Self.document())
            let set = try center.ok(TokenIssuer.self, try await center.put("/v1/token-issuer", spec))
            #expect(set.keys.map(\.kid) == ["idp-1"])
            #expect(set.maxLifetimeSeconds == TokenIssuer.defaultMaxLifetimeSeconds)
            #expect(set.skippedKeys?.count == 4)
            let config = try await center.config()
            #expect(config.version > before, "units learn it from a new version")
            #expect(config.tokenIssuer?.keys == set.keys)
            #expect(config.tokenIssuer?.issuer == "https://id.shop.example")
            #expect(config.tokenIssuer?.skippedKeys == nil)

            let operatorCredential = try center.ok(
                OperatorGrant.self, try await center.post("/v1/operators", OperatorSpec(name: "op", role: .operator)),
                status: .created
            ).credential
            let viewerCredential = try center.ok(
                OperatorGrant.self, try await center.post("/v1/operators", OperatorSpec(name: "viewer", role: .viewer)),
                status: .created
            ).credential
            let viewer = center.with(credential: viewerCredential)
            #expect(try center.ok(TokenIssuer.self, try await viewer.get("/v1/token-issuer")).audience == "flashsale")
            let op = center.with(credential: operatorCredential)
            let rogue = TokenIssuerSpec(issuer: "https://evil.example", audience: "flashsale", jwks: JWKSDocument(keys: [try Self.jwk()]))
            try await center.expectRefused(.forbidden) { try await op.put("/v1/token-issuer", rogue) }
            try await center.expectRefused(.forbidden) { try await op.execute(uri: "/v1/token-issuer", method: .delete) }
            try await center.expectRefused(.unauthorized) { try await center.with(credential: nil).put("/v1/token-issuer", rogue) }
            // Bad input changes nothing either.
            try await center.expectRefused(.invalidInput) { try await center.put("/v1/token-issuer", raw: #"{"issuer":"x"}"#) }
            var short = spec
            short.maxLifetimeSeconds = 1
            try await center.expectRefused(.invalidInput) { try await center.put("/v1/token-issuer", short) }
            // A key id that a minting key has: which checks a token meant would be a guess.
            let minting = try #require(try await center.config().buyerTokenKeys?.first)
            let clash = BuyerTokenSigningKey.generate(kid: minting.kid)
            let clashing = TokenIssuerSpec(issuer: "https://id.example", audience: "flashsale", jwks: JWKSDocument(keys: [try Self.jwk(clash)]))
            try await center.expectRefused(.conflict) { try await center.put("/v1/token-issuer", clashing) }
            // Nor one of the minting keys' shape: the next rotation could make it.
            let future = TokenIssuerSpec(
                issuer: "https://id.example", audience: "flashsale",
                jwks: JWKSDocument(keys: [try Self.jwk(BuyerTokenSigningKey.generate(kid: "k99999999999999"))]))
            try await center.expectRefused(.conflict) { try await center.put("/v1/token-issuer", future) }

            let cleared = try center.ok(TokenIssuer.self, try await center.execute(uri: "/v1/token-issuer", method: .delete))
            #expect(cleared.issuer == "https://id.shop.example")
            #expect(try await center.config().tokenIssuer == nil)
            try center.expectProblem(try await center.execute(uri: "/v1/token-issuer", method: .delete), .notFound)
        }
    }

    @Test func theVerifierChecksTheProvidersClaimsOnlyForItsKeys() async throws {
        let minting = BuyerTokenSigningKey.generate(kid: "k1")
        let issuer = TokenIssuer(issuer: "https://id.example", audience: "flashsale", maxLifetimeSeconds: 600, keys: [Self.provider.publicKey])
        let verifier = try BuyerTokenVerifier(keys: [minting.publicKey], issuer: issuer)
        let nowMs: Int64 = 1_800_000_000_000
        let now = nowMs / 1000
        func claims(iss: String? = "https://id.example", aud: [String]? = ["flashsale"], iat: Int64 = now, exp: Int64 = now + 300) -> BuyerClaims {
            BuyerClaims(
                userID: "u1", homeRegion: "eu", level: 0, accountCreatedAtSeconds: 0, expiresAtSeconds: exp, issuedAtSeconds: iat,
                issuer: iss, audience: aud.map(BuyerClaims.Audience.init))
        }
        func verdict(_ claims: BuyerClaims, key: BuyerTokenSigningKey = TokenIssuerTests.provider) async throws -> BuyerTokenVerdict {
            verifier.verify(try await key.mint(claims), nowMs: nowMs)
        }
        #expect(try await verdict(claims()).claims?.userID == "u1")
        #expect(try await verdict(claims(aud: ["a", "flashsale"])).claims != nil)
        #expect(try await verdict(claims(iss: "https://id.example/")) == .untrusted(.issuer))
        #expect(try await verdict(claims(iss: nil)) == .untrusted(.issuer))
        #expect(try await verdict(claims(aud: nil)) == .untrusted(.audience))
        #expect(try await verdict(claims(aud: ["flash"])) == .untrusted(.audience))
        #expect(try await verdict(claims(exp: now + 601)) == .untrusted(.lifetime))
        #expect(try await verdict(claims(iat: now + 5_000, exp: now + 5_300)) == .untrusted(.lifetime))
        #expect(try await verdict(claims(iat: .min, exp: .max)) == .untrusted(.lifetime))
        #expect(try await verdict(claims(iat: .max, exp: .max)) == .untrusted(.lifetime))
        #expect(try await verdict(claims(iat: now - 400, exp: now - 100)) == .expired)
        // Minted tokens carry no iss or aud and may live long: the provider's rules are not theirs.
        #expect(try await verdict(claims(iss: nil, aud: nil, exp: now + 86_400), key: minting).claims != nil)
        // A provider key may not share a kid with a minting key.
        #expect(throws: BuyerTokenKeyError.duplicateKid("k1")) {
            try BuyerTokenVerifier(
                keys: [minting.publicKey],
                issuer: TokenIssuer(issuer: "i", audience: "a", keys: [BuyerTokenSigningKey.generate(kid: "k1").publicKey]))
        }
    }
}
