// What a sale asks of a buyer before a purchase is even considered: token, rate limits, captcha, eligibility.

/// The filters a sale turns on. Every unit enforces them on its purchase path, cheapest first; a sale without
/// rules is open to anyone who names a user id (for rehearsals and tests, not for a public sale).
public struct AdmissionRules: Sendable, Hashable, Codable {
    /// Largest proof-of-work difficulty (the challenge's maxnumber): about a second of a phone's time.
    public static let captchaDifficultyRange = 1_000...10_000_000

    /// Buyers must present a signed token; the user id, home region, level and account age come from it.
    public var requireToken: Bool
    /// Attempts one user may make (after the token says who they are).
    public var userRate: RateLimit?
    /// Attempts one client address may make, checked before anything else.
    public var ipRate: RateLimit?
    /// When set, a purchase must carry a solved proof-of-work challenge of this difficulty.
    public var captchaDifficulty: Int?
    public var eligibility: EligibilityRules?

    public init(
        requireToken: Bool = false, userRate: RateLimit? = nil, ipRate: RateLimit? = nil, captchaDifficulty: Int? = nil,
        eligibility: EligibilityRules? = nil
    ) {
        self.requireToken = requireToken
        self.userRate = userRate
        self.ipRate = ipRate
        self.captchaDifficulty = captchaDifficulty
        self.eligibility = eligibility
    }

    /// No filters: anyone who names a user id may buy.
    public static let open = AdmissionRules()

    /// The first rule that cannot be used, or nil.
    public var violation: String? {
        if let violation = userRate?.violation { return "user \(violation)" }
        if let violation = ipRate?.violation { return "address \(violation)" }
        if let captchaDifficulty, !Self.captchaDifficultyRange.contains(captchaDifficulty) {
            return "captcha difficulty must be \(Self.captchaDifficultyRange.lowerBound)-\(Self.captchaDifficultyRange.upperBound)"
        }
        if let eligibility {
            if let violation = eligibility.violation { return violation }
            // Level and account age are token claims: without tokens there is nothing to check them against.
            if !requireToken, eligibility.minLevel != nil || eligibility.minAccountAgeSeconds != nil {
                return "eligibility rules need buyer tokens (requireToken)"
            }
        }
        return nil
    }
}
