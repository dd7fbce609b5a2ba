// The answer of a token bucket to one attempt: go ahead, or come back later.

/// What a rate limiter says to one attempt. A refusal carries its wait so the unit can answer 429 with an
/// honest Retry-After instead of inviting an immediate retry.
public enum RateDecision: Sendable, Hashable {
    case allowed
    /// No token now; `retryAfterMs` (at least 1) is how long until the next one is there.
    case refused(retryAfterMs: Int64)

    /// For callers that only branch on the outcome and take the wait from the refusal.
    public var isAllowed: Bool {
        if case .allowed = self { return true }
        return false
    }
}
