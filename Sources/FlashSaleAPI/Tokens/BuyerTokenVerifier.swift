// Checks buyer tokens on the purchase path against the configuration's public keys, and remembers the good ones.

import Crypto
import Foundation
import JWTKit
import Synchronization

/// Decides whether a buyer token may buy, cheapest checks first: length, the cache of verified tokens, the
/// header (ES256 only, a known `kid`), the signature, for a key of the trusted identity provider its `iss`, `aud`
/// and lifetime (`TokenIssuer`), then `exp`/`nbf` against the caller's clock. It is built
/// once per configuration version, so a key rotation is a new verifier and needs no restart.
///
/// The signature is checked with swift-crypto here, not through jwt-kit's `JWTKeyCollection`: that actor
/// verifies a token with an unknown or missing `kid` against its default key, does not compare the header's
/// `alg` with the key's, and checks time with the wall clock. Checking here also needs no actor hop, hit or miss.
public final class BuyerTokenVerifier: Sendable {
    /// Longest token accepted, in bytes: anything longer is refused before it is parsed or hashed.
    public static let tokenMaxBytes = 4_096
    /// Default bound of the verified-token cache, in entries.
    public static let cacheDefaultMaxEntries = 100_000
    /// The one algorithm accepted. Asymmetric, so a unit holds nothing that could mint a token.
    public static let algorithm = "ES256"

    /// Bound of the verified-token cache, in entries.
    public let cacheMaxEntries: Int
    private let publicKeys: [String: P256.Signing.PublicKey]
    /// The identity provider whose keys are among `publicKeys`, and those keys' ids: its tokens must also carry its
    /// `iss`, name its audience and live no longer than it allows.
    private let issuer: TokenIssuer?
    private let issuerKids: Set<String>
    private let cache: Mutex<VerifiedTokens>

    /// Loads every key now, so a bad configuration is refused at load. No keys is allowed (every token is then
    /// `.unknownKey`); a `kid` repeated with the same key counts once, but an issuer's key may not share a `kid`
    /// with a minting key (which checks would apply would be a guess). `cacheMaxEntries` must be at least 2.
    public init(
        keys: [BuyerTokenKey], issuer: TokenIssuer? = nil, cacheMaxEntries: Int = cacheDefaultMaxEntries
    ) throws(BuyerTokenKeyError) {
        precondition(cacheMaxEntries >= 2, "the token cache needs room for two generations")
        var publicKeys: [String: P256.Signing.PublicKey] = [:]
        try Self.load(keys, into: &publicKeys)
        let issuerKids = Set(issuer?.keys.map(\.kid) ?? [])
        if let clash = issuerKids.first(where: { publicKeys[$0] != nil }) { throw .duplicateKid(clash) }
        try Self.load(issuer?.keys ?? [], into: &publicKeys)
        self.publicKeys = publicKeys
        self.issuer = issuer
        self.issuerKids = issuerKids
        self.cacheMaxEntries = cacheMaxEntries
        self.cache = Mutex(VerifiedTokens(generationMaxEntries: cacheMaxEntries / 2))
    }

    private static func load(_ keys: [BuyerTokenKey], into publicKeys: inout [String: P256.Signing.PublicKey]) throws(BuyerTokenKeyError) {
        for key in keys {
            guard !key.kid.isEmpty else { throw .emptyKid }
            guard let publicKey = try? P256.Signing.PublicKey(pemRepresentation: key.publicKeyPEM) else {
                throw .invalidPublicKey(kid: key.kid)
            }
            if let loaded = publicKeys[key.kid], loaded.rawRepresentation != publicKey.rawRepresentation {
                throw .duplicateKid(key.kid)
            }
            publicKeys[key.kid] = publicKey
        }
    }

    /// The key ids this verifier accepts.
    public var kids: Set<String> { Set(publicKeys.keys) }

    /// Tokens held in the cache now; never more than `cacheMaxEntries`.
    public var cachedCount: Int { cache.withLock { $0.count } }

    /// Tokens that paid the signature check since this verifier was built; with `cachedCount`, how well the
    /// cache spares the hot path.
    public var signatureChecks: Int { cache.withLock { $0.signatureChecks } }

    /// The verdict on `token` at `nowMs` (ms since 1970, the caller's clock). Synchronous, so the purchase handler
    /// calls it on its event loop: a cache hit costs a SHA-256 and a lock held for a dictionary lookup, a miss adds
    /// one ECDSA check (about a tenth of a millisecond). A cached token is refused once it expires.
    public func verify(_ token: String, nowMs: Int64) -> BuyerTokenVerdict {
        let utf8 = token.utf8
        guard !utf8.isEmpty else { return .missing }
        guard utf8.count <= Self.tokenMaxBytes else { return .malformed }
        let bytes = Array(utf8)
        let digest = SHA256.hash(data: bytes)

        // A generation dropped to make room is returned out of the lock and freed after it, not while other
        // requests wait on the lock.
        let (cached, _) = cache.withLock { cache -> (BuyerTokenVerdict?, VerifiedTokens.Generation) in
            guard let (claims, dropped) = cache.claims(for: digest) else { return (nil, [:]) }
            let verdict = claims.verdict(atMs: nowMs)
            // An expired token never becomes valid again: make room rather than keep it.
            if verdict == .expired { cache.remove(digest) }
            return (verdict, dropped)
        }
        if let cached { return cached }

        let (opened, kid) = open(bytes)
        guard case .valid(let claims) = opened else { return opened }
        if issuerKids.contains(kid), let mismatch = issuerMismatch(claims, nowMs: nowMs) { return .untrusted(mismatch) }
        let verdict = claims.verdict(atMs: nowMs)
        if verdict != .expired {
            _ = cache.withLock { $0.insert(claims, for: digest) }
        }
        return verdict
    }

    /// For a token signed by the identity provider's key: what its claims get wrong, or nil. Checked once, before the
    /// token is cached (a lifetime only shrinks as time passes). `exp` may also lie no further ahead of `nowMs` than
    /// the longest lifetime, so an `iat` set in the future cannot stretch it.
    private func issuerMismatch(_ claims: BuyerClaims, nowMs: Int64) -> BuyerTokenVerdict.IssuerMismatch? {
        guard let issuer else { return nil }
        if let mismatch = claims.mismatch(with: issuer) { return mismatch }
        let (expiresMs, overflow) = claims.expiresAtSeconds.multipliedReportingOverflow(by: 1_000)
        let (aheadMs, beyond) = expiresMs.subtractingReportingOverflow(nowMs)
        let (allowedMs, tooLong) = issuer.maxLifetimeSeconds.multipliedReportingOverflow(by: 1_000)
        guard !overflow, !beyond, !tooLong, aheadMs <= allowedMs else { return .lifetime }
        return nil
    }

    /// The claims of a token whose header and signature pass, as `.valid` (time not checked yet), or the refusal;
    /// with the `kid` that chose the key. The payload is decoded only once the signature holds: the header is the
    /// only unauthenticated JSON parsed.
    private func open(_ bytes: [UInt8]) -> (BuyerTokenVerdict, kid: String) {
        let period = UInt8(ascii: ".")
        guard let firstPeriod = bytes.firstIndex(of: period),
            let secondPeriod = bytes[(firstPeriod + 1)...].firstIndex(of: period),
            !bytes[(secondPeriod + 1)...].contains(period),
            let headerJSON = Self.base64URLDecoded(bytes[..<firstPeriod]),
            let header = try? JSONDecoder().decode(JWTHeader.self, from: headerJSON)
        else { return (.malformed, "") }

        guard header.alg == Self.algorithm else { return (.unsupportedAlgorithm, "") }
        guard let kid = header.kid, let publicKey = publicKeys[kid] else { return (.unknownKey, "") }
        guard let signatureBytes = Self.base64URLDecoded(bytes[(secondPeriod + 1)...]) else { return (.malformed, kid) }

        cache.withLock { $0.signatureChecks += 1 }
        guard let signature = try? P256.Signing.ECDSASignature(rawRepresentation: signatureBytes),
            publicKey.isValidSignature(signature, for: bytes[..<secondPeriod])
        else { return (.badSignature, kid) }

        guard let payloadJSON = Self.base64URLDecoded(bytes[(firstPeriod + 1)..<secondPeriod]),
            let claims = try? JSONDecoder().decode(BuyerClaims.self, from: payloadJSON)
        else { return (.malformed, kid) }
        return (.valid(claims), kid)
    }

    /// Unpadded base64url (RFC 7515) to bytes; nil for any other character or an impossible length.
    private static func base64URLDecoded(_ encoded: ArraySlice<UInt8>) -> Data? {
        guard encoded.count % 4 != 1 else { return nil }
        var base64: [UInt8] = []
        base64.reserveCapacity(encoded.count + 3)
        for byte in encoded {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"):
                base64.append(byte)
            case UInt8(ascii: "-"): base64.append(UInt8(ascii: "+"))
            case UInt8(ascii: "_"): base64.append(UInt8(ascii: "/"))
            default: return nil
            }
        }
        while base64.count % 4 != 0 { base64.append(UInt8(ascii: "=")) }
        return Data(base64Encoded: Data(base64))
    }
}

extension BuyerTokenVerifier {
    /// Verified claims by SHA-256 of the token, in two generations: when the newer one fills, it becomes the
    /// older and the older is dropped whole. The bound holds without per-entry bookkeeping, and a token still in
    /// use survives, because a hit in the older generation moves it to the newer.
    private struct VerifiedTokens: Sendable {
        typealias Generation = [SHA256Digest: BuyerClaims]

        let generationMaxEntries: Int
        private var newer: Generation = [:]
        private var older: Generation = [:]
        /// Counted under the same lock as the cache, so the two figures read together agree.
        var signatureChecks = 0

        init(generationMaxEntries: Int) {
            self.generationMaxEntries = generationMaxEntries
        }

        var count: Int { newer.count + older.count }

        /// The cached claims, and the generation dropped if moving them to the newer one made room.
        mutating func claims(for digest: SHA256Digest) -> (BuyerClaims, dropped: Generation)? {
            if let claims = newer[digest] { return (claims, [:]) }
            guard let claims = older.removeValue(forKey: digest) else { return nil }
            return (claims, insert(claims, for: digest))
        }

        /// Stores `claims`; returns the generation dropped to make room, for the caller to free outside the lock.
        mutating func insert(_ claims: BuyerClaims, for digest: SHA256Digest) -> Generation {
            var dropped: Generation = [:]
            if newer[digest] == nil, newer.count >= generationMaxEntries {
                dropped = older
                older = newer
                newer = [:]
            }
            newer[digest] = claims
            precondition(
                newer.count <= generationMaxEntries && older.count <= generationMaxEntries,
                "invariant: the verified-token cache holds at most two generations")
            return dropped
        }

        mutating func remove(_ digest: SHA256Digest) {
            newer.removeValue(forKey: digest)
            older.removeValue(forKey: digest)
        }
    }
}
