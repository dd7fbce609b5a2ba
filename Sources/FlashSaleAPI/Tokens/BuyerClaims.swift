// The claims a buyer token carries onto the purchase path, and the time checks they must pass.

public import JWTKit
import Foundation

/// What a unit learns about a buyer from a verified token: enough to decide eligibility, the per-user limit
/// and the owning unit without asking anyone. Times are whole seconds since 1970 (JWT NumericDate); checks
/// take the caller's clock in milliseconds, so tests and the simulation decide what "now" is.
public struct BuyerClaims: JWTPayload, Hashable {
    /// The user id (`sub`): the key of the per-user limit and of the unit that owns the user.
    public var userID: String
    /// The user's home region (`region`): a request that reaches another region's unit is sent home.
    public var homeRegion: String
    /// The membership level (`level`), for a sale's eligibility rules.
    public var level: Int
    /// When the account was created (`acct`), seconds since 1970: eligibility rules refuse accounts made for
    /// the sale.
    public var accountCreatedAtSeconds: Int64
    /// Expiry (`exp`), seconds since 1970: the token is refused from this second on.
    public var expiresAtSeconds: Int64
    /// Not before (`nbf`), seconds since 1970, when present: the token is refused until this second.
    public var notBeforeSeconds: Int64?
    /// When the token was issued (`iat`), seconds since 1970.
    public var issuedAtSeconds: Int64
    /// Who issued it (`iss`): checked for tokens signed by a trusted identity provider's key (`TokenIssuer`).
    public var issuer: String?
    /// Whom it is for (`aud`, one name or several): an identity provider's token must name this cluster.
    public var audience: Audience?

    public init(
        userID: String, homeRegion: String, level: Int, accountCreatedAtSeconds: Int64,
        expiresAtSeconds: Int64, notBeforeSeconds: Int64? = nil, issuedAtSeconds: Int64, issuer: String? = nil,
        audience: Audience? = nil
    ) {
        self.issuer = issuer
        self.audience = audience
        self.userID = userID
        self.homeRegion = homeRegion
        self.level = level
        self.accountCreatedAtSeconds = accountCreatedAtSeconds
        self.expiresAtSeconds = expiresAtSeconds
        self.notBeforeSeconds = notBeforeSeconds
        self.issuedAtSeconds = issuedAtSeconds
    }

    /// The registered JWT names on the wire; Swift names say what and in which unit.
    enum CodingKeys: String, CodingKey {
        case userID = "sub"
        case homeRegion = "region"
        case level
        case accountCreatedAtSeconds = "acct"
        case expiresAtSeconds = "exp"
        case notBeforeSeconds = "nbf"
        case issuedAtSeconds = "iat"
        case issuer = "iss"
        case audience = "aud"
    }

    /// `aud` as RFC 7519 allows it: one string, or an array of them.
    public struct Audience: Codable, Sendable, Hashable {
        public var names: [String]

        public init(_ names: [String]) {
            self.names = names
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let one = try? container.decode(String.self) {
                names = [one]
            } else {
                names = try container.decode([String].self)
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            if names.count == 1 { try container.encode(names[0]) } else { try container.encode(names) }
        }
    }

    /// Whether these claims are what `trusted` issues: its `iss`, an `aud` that names its audience, and a lifetime
    /// (`exp − iat`) of at most its longest. Nil when they are, else what is wrong.
    public func mismatch(with trusted: TokenIssuer) -> BuyerTokenVerdict.IssuerMismatch? {
        guard issuer == trusted.issuer else { return .issuer }
        guard let audience, audience.names.contains(trusted.audience) else { return .audience }
        // Subtraction of two signed but arbitrary numbers: checked, an overflow is simply too long.
        let (lifetime, overflow) = expiresAtSeconds.subtractingReportingOverflow(issuedAtSeconds)
        guard !overflow, lifetime <= trusted.maxLifetimeSeconds else { return .lifetime }
        return nil
    }

    /// `.valid(self)`, `.expired` or `.notYetValid` at `nowMs` (ms since 1970). `BuyerTokenVerifier` decides
    /// with this and the caller's clock, never with the wall clock.
    public func verdict(atMs nowMs: Int64) -> BuyerTokenVerdict {
        if nowMs >= Self.milliseconds(expiresAtSeconds) { return .expired }
        if let notBeforeSeconds, nowMs < Self.milliseconds(notBeforeSeconds) { return .notYetValid }
        return .valid(self)
    }

    /// jwt-kit's hook, run by `JWTKeyCollection.verify`: the same checks against the wall clock, for code that
    /// verifies through jwt-kit rather than `BuyerTokenVerifier`.
    public func verify(using algorithm: some JWTAlgorithm) async throws {
        let nowMs = Int64((Date().timeIntervalSince1970 * 1_000).rounded(.down))
        switch verdict(atMs: nowMs) {
        case .expired:
            let claim = ExpirationClaim(value: Date(timeIntervalSince1970: Double(expiresAtSeconds)))
            throw JWTError.claimVerificationFailure(failedClaim: claim, reason: "expired")
        case .notYetValid:
            let claim = NotBeforeClaim(value: Date(timeIntervalSince1970: Double(notBeforeSeconds ?? 0)))
            throw JWTError.claimVerificationFailure(failedClaim: claim, reason: "too soon")
        default:
            return
        }
    }

    /// Seconds to milliseconds, saturating: a signed but absurd time must not trap the unit.
    private static func milliseconds(_ seconds: Int64) -> Int64 {
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000)
        guard overflow else { return product }
        return seconds > 0 ? .max : .min
    }
}
