// Whether a buyer may take part in a sale: blacklist, level and account age, checked without a clock.

/// The eligibility check of the hot path, a pure function of the buyer, the sale's rules, the blacklist and the
/// time the caller passes.
public enum Eligibility {
    /// Checks the blacklist first (a banned buyer learns nothing about the other gates), then the level, then
    /// the account age. Never traps: rules that break `EligibilityRules.violation` are read as far as they make
    /// sense (a negative minimum age as no minimum), and times saturate at the ends of Int64.
    public static func check(
        _ profile: BuyerProfile, rules: EligibilityRules, blacklist: Set<String>, nowMs: Int64
    ) -> EligibilityDecision {
        if blacklist.contains(profile.user) { return .blacklisted }
        if let minLevel = rules.minLevel, profile.level < minLevel {
            return .levelTooLow(required: minLevel, actual: profile.level)
        }
        if let minAgeSeconds = rules.minAccountAgeSeconds {
            let requiredAgeSeconds = max(0, minAgeSeconds)
            let eligibleAtMs = saturatingAdd(profile.accountCreatedAtMs, saturatingMultiply(requiredAgeSeconds, 1_000))
            if nowMs < eligibleAtMs {
                return .accountTooNew(requiredAgeSeconds: requiredAgeSeconds, eligibleAtMs: eligibleAtMs)
            }
        }
        return .eligible
    }

    private static func saturatingAdd(_ a: Int64, _ b: Int64) -> Int64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        guard overflow else { return sum }
        return b > 0 ? .max : .min
    }

    private static func saturatingMultiply(_ a: Int64, _ b: Int64) -> Int64 {
        let (product, overflow) = a.multipliedReportingOverflow(by: b)
        guard overflow else { return product }
        return (a < 0) == (b < 0) ? .max : .min
    }
}
