// The verdict of the eligibility check on one buyer, with what the buyer needs to know to act on it.

/// Why a buyer may or may not take part. Refusals carry their numbers so the answer can say what is missing
/// and, for a young account, when to come back.
public enum EligibilityDecision: Sendable, Hashable {
    case eligible
    case blacklisted
    case levelTooLow(required: Int, actual: Int)
    /// `eligibleAtMs` is when the account will be old enough (saturated at Int64.max when beyond it).
    case accountTooNew(requiredAgeSeconds: Int64, eligibleAtMs: Int64)
}
