// What the purchase path learns from a buyer token: its claims, or the one reason it was refused.

/// The outcome of `BuyerTokenVerifier.verify`. Refusals are values, not errors: a bad token is an expected
/// input on the hot path, and each reason is distinct so it can be counted and answered on its own.
public enum BuyerTokenVerdict: Sendable, Hashable {
    /// Signed by a live key and within its time window.
    case valid(BuyerClaims)
    /// No token, or an empty one.
    case missing
    /// Too long, not three base64url parts, or a header or payload that does not decode.
    case malformed
    /// Any `alg` but ES256, `none` and HMAC among them: the header never chooses how the token is checked.
    case unsupportedAlgorithm
    /// No `kid`, or one that no live key has: no fallback to some default key.
    case unknownKey
    /// The signature does not match the token's bytes under the key its `kid` names.
    case badSignature
    /// At or past `exp`.
    case expired
    /// Before `nbf`.
    case notYetValid
    /// Signed by a trusted identity provider's key, but not what that provider issues for this cluster.
    case untrusted(IssuerMismatch)

    /// What an identity provider's token got wrong.
    public enum IssuerMismatch: String, Sendable, Hashable {
        /// `iss` is not the provider's.
        case issuer
        /// `aud` is missing or does not name this cluster's audience.
        case audience
        /// It lives longer (`exp − iat`) than the cluster allows.
        case lifetime
    }

    /// The claims when valid, nil for every refusal.
    public var claims: BuyerClaims? {
        if case .valid(let claims) = self { claims } else { nil }
    }
}
