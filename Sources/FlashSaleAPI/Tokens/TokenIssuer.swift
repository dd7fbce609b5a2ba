// The shop's identity provider, trusted to issue buyer tokens: its name, the audience, its keys, how long a token lives.

public import Foundation

/// An external issuer of buyer tokens (the shop's identity provider). A token signed with one of its keys is taken
/// only when its `iss` is `issuer`, its `aud` names `audience`, it carries `iat`, and it lives at most
/// `maxLifetimeSeconds` (`exp − iat`): a token stolen from a buyer is worth little for long, and a token the
/// provider issued for another service (another audience) does not buy here. Tokens the config-center mints
/// (`token mint`, for demos and rehearsals) are signed with its own keys and checked as before.
public struct TokenIssuer: Codable, Sendable, Hashable {
    /// Default longest lifetime of an issuer's token: ten minutes, a buyer's session at a sale.
    public static let defaultMaxLifetimeSeconds: Int64 = 600
    /// The lifetimes an operator may allow.
    public static let maxLifetimeRange: ClosedRange<Int64> = 30...86_400
    /// Longest `iss`, `aud` and `kid`, in bytes.
    public static let nameMaxBytes = 256
    public static let kidMaxBytes = 128

    /// The `iss` its tokens carry, as the provider names itself (usually its URL).
    public var issuer: String
    /// The `aud` its tokens must name: this cluster.
    public var audience: String
    /// Longest `exp − iat` accepted, in seconds.
    public var maxLifetimeSeconds: Int64
    /// Its public keys, from its JWKS document (P-256 only).
    public var keys: [BuyerTokenKey]
    /// Keys of the document that were left out, and why: only in the answer to the operator who set the issuer.
    public var skippedKeys: [String]?

    public init(issuer: String, audience: String, maxLifetimeSeconds: Int64 = defaultMaxLifetimeSeconds, keys: [BuyerTokenKey], skippedKeys: [String]? = nil) {
        self.issuer = issuer
        self.audience = audience
        self.maxLifetimeSeconds = maxLifetimeSeconds
        self.keys = keys
        self.skippedKeys = skippedKeys
    }

    /// Why these settings cannot be used, or nil.
    public var problem: String? {
        for (name, value) in [("issuer", issuer), ("audience", audience)] {
            guard !value.isEmpty, value.utf8.count <= Self.nameMaxBytes,
                value.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7f })
            else { return "\(name) must be 1-\(Self.nameMaxBytes) printable ASCII characters without spaces" }
        }
        guard Self.maxLifetimeRange.contains(maxLifetimeSeconds) else {
            return "maxLifetimeSeconds must be \(Self.maxLifetimeRange.lowerBound)-\(Self.maxLifetimeRange.upperBound)"
        }
        guard !keys.isEmpty else { return "the JWKS document has no key a unit can check (P-256, ES256, with a kid)" }
        guard keys.count <= JWKSDocument.keysMax else { return "at most \(JWKSDocument.keysMax) keys" }
        guard Set(keys.map(\.kid)).count == keys.count else { return "two keys of the JWKS document share a kid" }
        return nil
    }
}

/// The body of `PUT /v1/token-issuer`: the provider, the audience, the longest lifetime (ten minutes when absent)
/// and its JWKS document as it publishes it.
public struct TokenIssuerSpec: Codable, Sendable, Equatable {
    public var issuer: String
    public var audience: String
    public var maxLifetimeSeconds: Int64?
    public var jwks: JWKSDocument

    public init(issuer: String, audience: String, maxLifetimeSeconds: Int64? = nil, jwks: JWKSDocument) {
        self.issuer = issuer
        self.audience = audience
        self.maxLifetimeSeconds = maxLifetimeSeconds
        self.jwks = jwks
    }

    /// The issuer this asks for, or why it cannot be: a problem names every key left out when none is left.
    public func issuerSettings() -> Result<TokenIssuer, ProblemText> {
        guard jwks.keys.count <= JWKSDocument.keysMax else {
            return .failure(ProblemText("the JWKS document holds more than \(JWKSDocument.keysMax) keys"))
        }
        let (keys, skipped) = jwks.buyerTokenKeys()
        let settings = TokenIssuer(
            issuer: issuer, audience: audience, maxLifetimeSeconds: maxLifetimeSeconds ?? TokenIssuer.defaultMaxLifetimeSeconds,
            keys: keys, skippedKeys: skipped.isEmpty ? nil : skipped)
        if let problem = settings.problem {
            return .failure(ProblemText(skipped.isEmpty ? problem : problem + "; left out: " + skipped.joined(separator: "; ")))
        }
        return .success(settings)
    }

    /// A reason in words, for a 400.
    public struct ProblemText: Error, Equatable {
        public let text: String
        public init(_ text: String) { self.text = text }
    }
}
