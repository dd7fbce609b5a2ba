// Buyer tokens: minting, verifying, every refusal, key rotation and the verified-token cache.

import Crypto
import FlashSaleAPI
import Foundation
import JWTKit
import Testing

@Suite("BuyerToken signing and verification")
struct BuyerTokenTests {
    static let nowSeconds: Int64 = 1_750_000_000
    static let nowMs = nowSeconds * 1_000

    let key = BuyerTokenSigningKey.generate(kid: "k1")

    func claims(
        user: String = "u-42", expiresIn: Int64 = 600, notBefore: Int64? = nil, issuedAt: Int64 = nowSeconds
    ) -> BuyerClaims {
        BuyerClaims(
            userID: user, homeRegion: "eu", level: 3, accountCreatedAtSeconds: Self.nowSeconds - 86_400 * 365,
            expiresAtSeconds: issuedAt + expiresIn, notBeforeSeconds: notBefore, issuedAtSeconds: issuedAt)
    }

    func verifier(_ keys: BuyerTokenSigningKey..., cacheMaxEntries: Int = 100_000) throws -> BuyerTokenVerifier {
        try BuyerTokenVerifier(keys: keys.map(\.publicKey), cacheMaxEntries: cacheMaxEntries)
    }

    // MARK: hand-made tokens

    static func base64URL(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func base64URL(_ text: String) -> String { base64URL(Array(text.utf8)) }

    static func json(_ claims: BuyerClaims) throws -> String {
        String(decoding: try JSONEncoder().encode(claims), as: UTF8.self)
    }

    /// `header.payload.signature`, with `sign` given the signing input: the shape an attacker can build.
    static func craft(header: String, payload: String, sign: (String) throws -> [UInt8]) rethrows -> String {
        let input = base64URL(header) + "." + base64URL(payload)
        return input + "." + base64URL(try sign(input))
    }

    /// Signs any header and payload with `key`'s private key, as the real issuer would.
    static func es256(_ key: BuyerTokenSigningKey) throws -> (String) throws -> [UInt8] {
        let privateKey = try P256.Signing.PrivateKey(pemRepresentation: key.privateKeyPEM)
        return { input in Array(try privateKey.signature(for: Data(input.utf8)).rawRepresentation) }
    }

    static func parts(_ token: String) -> [String] { token.split(separator: ".", omittingEmptySubsequences: false).map(String.init) }

    static func decodedPart(_ part: String) throws -> [String: Any] {
        var base64 = part.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        let data = try #require(Data(base64Encoded: base64))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    // MARK: round trip

    @Test("a minted token verifies to the very claims it was minted with")
    func roundTrip() async throws {
        let claims = claims(notBefore: Self.nowSeconds - 5)
        let token = try await key.mint(claims)
        #expect(try verifier(key).verify(token, nowMs: Self.nowMs) == .valid(claims))
        #expect(try verifier(key).verify(token, nowMs: Self.nowMs).claims?.userID == "u-42")
    }

    @Test("the header names ES256 and the kid; the payload uses the registered claim names")
    func wireFormat() async throws {
        let token = try await key.mint(claims())
        let parts = Self.parts(token)
        try #require(parts.count == 3)
        let header = try Self.decodedPart(parts[0])
        #expect(header["alg"] as? String == "ES256")
        #expect(header["kid"] as? String == "k1")
        let payload = try Self.decodedPart(parts[1])
        #expect(Set(payload.keys) == ["sub", "region", "level", "acct", "exp", "iat"])
        #expect(payload["exp"] as? Int == Int(Self.nowSeconds + 600))
    }

    // MARK: refusals

    @Test("an empty token is missing")
    func missing() async throws {
        #expect(try verifier(key).verify("", nowMs: Self.nowMs) == .missing)
    }

    @Test(
        "tokens that are not three base64url parts of JSON are malformed",
        arguments: ["abc", "a.b", "a.b.c.d", "!!!.e30.e30", "e30.e30", "bm90IGpzb24.e30.AAAA", " . . "])
    func malformed(token: String) async throws {
        #expect(try verifier(key).verify(token, nowMs: Self.nowMs) == .malformed)
    }

    @Test("a token longer than the limit is refused before it is parsed, a genuine one just under it is not")
    func tooLong() async throws {
        let verifier = try verifier(key)
        var long = claims()
        long.homeRegion = String(repeating: "x", count: BuyerTokenVerifier.tokenMaxBytes)
        let tooLong = try await key.mint(long)
        #expect(tooLong.utf8.count > BuyerTokenVerifier.tokenMaxBytes)
        #expect(verifier.verify(tooLong, nowMs: Self.nowMs) == .malformed)
        #expect(verifier.signatureChecks == 0)

        var fits = claims()
        fits.homeRegion = String(repeating: "x", count: 2_700)
        let token = try await key.mint(fits)
        #expect(token.utf8.count <= BuyerTokenVerifier.tokenMaxBytes)
        #expect(verifier.verify(token, nowMs: Self.nowMs) == .valid(fits))
    }

    @Test("a correctly signed payload that is not buyer claims is malformed")
    func payloadNotClaims() async throws {
        let token = try Self.craft(
            header: #"{"alg":"ES256","typ":"JWT","kid":"k1"}"#, payload: #"{"sub":"u-42","exp":"soon"}"#,
            sign: Self.es256(key))
        #expect(try verifier(key).verify(token, nowMs: Self.nowMs) == .malformed)
    }

    @Test("alg none is refused, with or without a signature part")
    func algNone() async throws {
        let payload = try Self.json(claims())
        let verifier = try verifier(key)
        for alg in ["none", "None", "NONE"] {
            let token = Self.craft(header: #"{"alg":"\#(alg)","typ":"JWT","kid":"k1"}"#, payload: payload) { _ in [] }
            #expect(token.hasSuffix("."))
            #expect(verifier.verify(token, nowMs: Self.nowMs) == .unsupportedAlgorithm)
        }
        let noKid = Self.craft(header: #"{"alg":"none"}"#, payload: payload) { _ in [] }
        #expect(verifier.verify(noKid, nowMs: Self.nowMs) == .unsupportedAlgorithm)
        #expect(verifier.signatureChecks == 0)
    }

    @Test("an HS256 token keyed with the public key's PEM text is refused (algorithm confusion)")
    func algorithmConfusion() async throws {
        let pem = key.publicKey.publicKeyPEM
        let token = try Self.craft(header: #"{"alg":"HS256","typ":"JWT","kid":"k1"}"#, payload: Self.json(claims())) {
            input in
            Array(HMAC<SHA256>.authenticationCode(for: Data(input.utf8), using: SymmetricKey(data: Data(pem.utf8))))
        }
        #expect(try verifier(key).verify(token, nowMs: Self.nowMs) == .unsupportedAlgorithm)
    }

    @Test("other asymmetric algorithms and a non-string alg are refused too", arguments: [#""ES384""#, #""RS256""#, #""es256""#, "256", "null"])
    func otherAlgorithms(alg: String) async throws {
        let token = try Self.craft(header: #"{"alg":\#(alg),"kid":"k1"}"#, payload: Self.json(claims()), sign: Self.es256(key))
        #expect(try verifier(key).verify(token, nowMs: Self.nowMs) == .unsupportedAlgorithm)
    }

    @Test("a kid no live key has is unknown, and so is a token without a kid (no default key)")
    func unknownKey() async throws {
        let verifier = try verifier(key)
        let stranger = BuyerTokenSigningKey.generate(kid: "k9")
        #expect(verifier.verify(try await stranger.mint(claims()), nowMs: Self.nowMs) == .unknownKey)

        let noKid = try Self.craft(header: #"{"alg":"ES256","typ":"JWT"}"#, payload: Self.json(claims()), sign: Self.es256(key))
        #expect(verifier.verify(noKid, nowMs: Self.nowMs) == .unknownKey)
        #expect(verifier.signatureChecks == 0)
    }

    @Test("a token signed by another key under a live kid has a bad signature")
    func impostorKey() async throws {
        let impostor = BuyerTokenSigningKey.generate(kid: "k1")
        let token = try await impostor.mint(claims())
        #expect(try verifier(key).verify(token, nowMs: Self.nowMs) == .badSignature)
    }

    @Test("changing any byte the signature covers, or the signature itself, breaks it")
    func tampered() async throws {
        let verifier = try verifier(key)
        let parts = Self.parts(try await key.mint(claims()))
        try #require(parts.count == 3)

        var raised = claims()
        raised.level = 99
        let forgedPayload = [parts[0], Self.base64URL(try Self.json(raised)), parts[2]].joined(separator: ".")
        #expect(verifier.verify(forgedPayload, nowMs: Self.nowMs) == .badSignature)

        let forgedHeader = [Self.base64URL(#"{"kid":"k1","alg":"ES256"}"#), parts[1], parts[2]].joined(separator: ".")
        #expect(verifier.verify(forgedHeader, nowMs: Self.nowMs) == .badSignature)

        let truncated = [parts[0], parts[1], String(parts[2].dropLast(4))].joined(separator: ".")
        #expect(verifier.verify(truncated, nowMs: Self.nowMs) == .badSignature)

        let unsigned = [parts[0], parts[1], ""].joined(separator: ".")
        #expect(verifier.verify(unsigned, nowMs: Self.nowMs) == .badSignature)

        let flipped = [parts[0], parts[1], (parts[2].first == "A" ? "B" : "A") + parts[2].dropFirst()].joined(separator: ".")
        #expect(verifier.verify(flipped, nowMs: Self.nowMs) == .badSignature)
        #expect(verifier.cachedCount == 0)
    }

    @Test("a token is refused from its exp second on, by the caller's clock")
    func expired() async throws {
        let claims = claims(expiresIn: 60)
        let token = try await key.mint(claims)
        let expiryMs = claims.expiresAtSeconds * 1_000
        #expect(try verifier(key).verify(token, nowMs: expiryMs - 1) == .valid(claims))
        #expect(try verifier(key).verify(token, nowMs: expiryMs) == .expired)
        #expect(try verifier(key).verify(token, nowMs: expiryMs + 3_600_000) == .expired)
    }

    @Test("a token is refused before its nbf second, accepted from it on")
    func notYetValid() async throws {
        let claims = claims(notBefore: Self.nowSeconds + 30)
        let token = try await key.mint(claims)
        let verifier = try verifier(key)
        #expect(verifier.verify(token, nowMs: Self.nowMs) == .notYetValid)
        #expect(verifier.verify(token, nowMs: (Self.nowSeconds + 30) * 1_000 - 1) == .notYetValid)
        #expect(verifier.verify(token, nowMs: (Self.nowSeconds + 30) * 1_000) == .valid(claims))
    }

    // MARK: keys

    @Test("during a rotation both keys verify; once the old key is withdrawn its tokens are unknown")
    func rotation() async throws {
        let old = key
        let new = BuyerTokenSigningKey.generate(kid: "k2")
        let oldToken = try await old.mint(claims(user: "u-old"))
        let newToken = try await new.mint(claims(user: "u-new"))

        let during = try verifier(old, new)
        #expect(during.kids == ["k1", "k2"])
        #expect(during.verify(oldToken, nowMs: Self.nowMs).claims?.userID == "u-old")
        #expect(during.verify(newToken, nowMs: Self.nowMs).claims?.userID == "u-new")

        let after = try verifier(new)
        #expect(after.verify(oldToken, nowMs: Self.nowMs) == .unknownKey)
        #expect(after.verify(newToken, nowMs: Self.nowMs).claims?.userID == "u-new")
    }

    @Test("a bad key refuses the whole configuration at load")
    func badKeysRefused() throws {
        let good = key.publicKey
        #expect(throws: BuyerTokenKeyError.invalidPublicKey(kid: "k2")) {
            try BuyerTokenVerifier(keys: [good, BuyerTokenKey(kid: "k2", publicKeyPEM: "not a key")])
        }
        #expect(throws: BuyerTokenKeyError.invalidPublicKey(kid: "k2")) {
            try BuyerTokenVerifier(keys: [BuyerTokenKey(kid: "k2", publicKeyPEM: self.key.privateKeyPEM)])
        }
        let p384 = P384.Signing.PrivateKey().publicKey.pemRepresentation
        #expect(throws: BuyerTokenKeyError.invalidPublicKey(kid: "k3")) {
            try BuyerTokenVerifier(keys: [BuyerTokenKey(kid: "k3", publicKeyPEM: p384)])
        }
        #expect(throws: BuyerTokenKeyError.emptyKid) {
            try BuyerTokenVerifier(keys: [BuyerTokenKey(kid: "", publicKeyPEM: good.publicKeyPEM)])
        }
        let other = BuyerTokenSigningKey.generate(kid: "k1").publicKey
        #expect(throws: BuyerTokenKeyError.duplicateKid("k1")) { try BuyerTokenVerifier(keys: [good, other]) }
        #expect(try BuyerTokenVerifier(keys: [good, good]).kids == ["k1"])
        #expect(BuyerTokenKeyError.duplicateKid("k1").problem.code == .invalidInput)
    }

    @Test("a signing key loads from its PEM, round-trips through JSON, and never prints its private key")
    func signingKey() async throws {
        let loaded = try BuyerTokenSigningKey(kid: "k1", privateKeyPEM: key.privateKeyPEM)
        #expect(loaded.publicKey == key.publicKey)
        let decoded = try JSONDecoder().decode(BuyerTokenSigningKey.self, from: JSONEncoder().encode(key))
        #expect(decoded == key)
        #expect(try verifier(decoded).verify(try await key.mint(claims()), nowMs: Self.nowMs) == .valid(claims()))
        #expect(!"\(key)".contains("PRIVATE"))
        #expect(throws: BuyerTokenKeyError.invalidPrivateKey(kid: "k1")) {
            try BuyerTokenSigningKey(kid: "k1", privateKeyPEM: self.key.publicKey.publicKeyPEM)
        }
        #expect(throws: BuyerTokenKeyError.emptyKid) { try BuyerTokenSigningKey(kid: "", privateKeyPEM: self.key.privateKeyPEM) }
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(BuyerTokenSigningKey.self, from: Data(#"{"kid":"k1"}"#.utf8))
        }
        #expect(throws: BuyerTokenKeyError.invalidPrivateKey(kid: "k1")) {
            try JSONDecoder().decode(BuyerTokenSigningKey.self, from: Data(#"{"kid":"k1","privateKeyPEM":"x"}"#.utf8))
        }
    }

    @Test("jwt-kit verifies a minted token too, its claim check running on the wall clock")
    func jwtKitInterop() async throws {
        let keys = JWTKeyCollection()
        await keys.add(ecdsa: try ES256PublicKey(pem: key.publicKey.publicKeyPEM), kid: "k1")
        let nowSeconds = Int64(Date().timeIntervalSince1970)
        let live = claims(issuedAt: nowSeconds)
        #expect(try await keys.verify(try await key.mint(live), as: BuyerClaims.self) == live)

        let stale = claims(expiresIn: -60, issuedAt: nowSeconds)
        await #expect(throws: JWTError.self) { try await keys.verify(try await key.mint(stale), as: BuyerClaims.self) }
        let early = claims(notBefore: nowSeconds + 600, issuedAt: nowSeconds)
        await #expect(throws: JWTError.self) { try await keys.verify(try await key.mint(early), as: BuyerClaims.self) }
    }

    // MARK: cache

    @Test("a retried token is answered from the cache without a second signature check")
    func cacheHit() async throws {
        let verifier = try verifier(key)
        let claims = claims()
        let token = try await key.mint(claims)
        #expect(verifier.verify(token, nowMs: Self.nowMs) == .valid(claims))
        #expect(verifier.signatureChecks == 1)
        #expect(verifier.cachedCount == 1)
        for offsetMs in [0, 1, 59_000] as [Int64] {
            #expect(verifier.verify(token, nowMs: Self.nowMs + offsetMs) == .valid(claims))
        }
        #expect(verifier.signatureChecks == 1)
        #expect(verifier.cachedCount == 1)
    }

    @Test("a cached token is refused once it expires, and leaves the cache")
    func cachedTokenExpires() async throws {
        let verifier = try verifier(key)
        let claims = claims(expiresIn: 60)
        let token = try await key.mint(claims)
        #expect(verifier.verify(token, nowMs: Self.nowMs) == .valid(claims))
        #expect(verifier.cachedCount == 1)
        #expect(verifier.verify(token, nowMs: claims.expiresAtSeconds * 1_000) == .expired)
        #expect(verifier.signatureChecks == 1)
        #expect(verifier.cachedCount == 0)
    }

    @Test("refused tokens are never cached; an expired one is not stored")
    func refusalsNotCached() async throws {
        let verifier = try verifier(key)
        let expired = try await key.mint(claims(expiresIn: -1))
        #expect(verifier.verify(expired, nowMs: Self.nowMs) == .expired)
        #expect(verifier.verify(try await BuyerTokenSigningKey.generate(kid: "k1").mint(claims()), nowMs: Self.nowMs) == .badSignature)
        #expect(verifier.cachedCount == 0)
        #expect(verifier.signatureChecks == 2)
    }

    @Test("the cache stays within its bound, and a token in use survives the rotation of generations")
    func cacheBound() async throws {
        let verifier = try verifier(key, cacheMaxEntries: 4)
        let kept = try await key.mint(claims(user: "u-kept"))
        #expect(verifier.verify(kept, nowMs: Self.nowMs).claims?.userID == "u-kept")
        for user in 0..<20 {
            let token = try await key.mint(claims(user: "u-\(user)"))
            #expect(verifier.verify(token, nowMs: Self.nowMs).claims?.userID == "u-\(user)")
            #expect(verifier.cachedCount <= 4)
            // The retried token stays cached however many others arrive.
            let checks = verifier.signatureChecks
            #expect(verifier.verify(kept, nowMs: Self.nowMs).claims?.userID == "u-kept")
            #expect(verifier.signatureChecks == checks)
        }
        #expect(verifier.signatureChecks == 21)

        let first = try await key.mint(claims(user: "u-0"))
        #expect(verifier.verify(first, nowMs: Self.nowMs).claims?.userID == "u-0")
        #expect(verifier.signatureChecks == 22)
    }

    @Test("many concurrent retries of one token all get its claims and leave one cache entry")
    func concurrentRetries() async throws {
        let verifier = try verifier(key)
        let claims = claims()
        let token = try await key.mint(claims)
        let verdicts = await withTaskGroup(of: BuyerTokenVerdict.self) { group in
            for _ in 0..<200 { group.addTask { verifier.verify(token, nowMs: Self.nowMs) } }
            return await group.reduce(into: [BuyerTokenVerdict]()) { $0.append($1) }
        }
        #expect(verdicts.count == 200)
        #expect(verdicts.allSatisfy { $0 == .valid(claims) })
        #expect(verifier.cachedCount == 1)
        #expect((1...200).contains(verifier.signatureChecks))
    }
}
