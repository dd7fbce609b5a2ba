// One token bucket in exact integer arithmetic: the per-key state behind every rate limit.

/// A token bucket that starts full and refills at `limit.perMinute` tokens per minute up to `limit.burst`.
///
/// Tokens are counted in units of 1/60,000 of a token, so one millisecond adds exactly `perMinute` units: no
/// rounding, no drift however the calls are spaced. With the limits capped at 1,000,000, a full bucket is at
/// most 6·10¹⁰ units and one refill step never multiplies more than a full refill period, so no Int64 time can
/// overflow it. Time only moves forward for the bucket: a call with an earlier `nowMs` (a clock stepped back,
/// or timestamps taken before a lock and applied out of order) adds nothing, so alternating timestamps cannot
/// mint tokens.
public struct TokenBucket: Sendable, Hashable {
    /// Units per token: the milliseconds in a minute, which makes the per-millisecond refill an integer.
    static let unitsPerToken: Int64 = 60_000

    /// The limit as given; values outside `RateLimit.valueRange` are clamped into it rather than trapping, so a
    /// bad configuration limits too hard or too little but never crashes the hot path.
    public let limit: RateLimit
    /// How long an empty bucket takes to fill again. A key idle this long is indistinguishable from a new one.
    public let fullRefillMs: Int64
    private let refillUnitsPerMs: Int64
    private let capacityUnits: Int64
    private var units: Int64
    /// The latest time the bucket has seen; nil until the first call.
    private var refilledAtMs: Int64?

    public init(limit: RateLimit) {
        self.limit = limit
        let range = RateLimit.valueRange
        refillUnitsPerMs = Int64(min(max(limit.perMinute, range.lowerBound), range.upperBound))
        capacityUnits = Int64(min(max(limit.burst, range.lowerBound), range.upperBound)) * Self.unitsPerToken
        fullRefillMs = (capacityUnits + refillUnitsPerMs - 1) / refillUnitsPerMs
        units = capacityUnits
    }

    /// Takes one token at `nowMs` if there is one.
    public mutating func take(atMs nowMs: Int64) -> RateDecision {
        refill(to: nowMs)
        if units >= Self.unitsPerToken {
            units -= Self.unitsPerToken
            precondition(units >= 0 && units <= capacityUnits, "invariant: a bucket holds 0...capacity")
            return .allowed
        }
        return .refused(retryAfterMs: waitForNextTokenMs(from: nowMs))
    }

    /// Whole tokens that a take at `nowMs` could use, without taking any (for status pages and tests).
    public func availableTokens(atMs nowMs: Int64) -> Int {
        var copy = self
        copy.refill(to: nowMs)
        return Int(copy.units / Self.unitsPerToken)
    }

    private mutating func refill(to nowMs: Int64) {
        guard let last = refilledAtMs else {
            refilledAtMs = nowMs
            return
        }
        guard nowMs > last else { return }
        let (elapsedMs, overflow) = nowMs.subtractingReportingOverflow(last)
        if overflow || elapsedMs >= fullRefillMs {
            units = capacityUnits
        } else {
            // elapsedMs < fullRefillMs, so the product stays below capacityUnits + refillUnitsPerMs.
            units = min(capacityUnits, units + elapsedMs * refillUnitsPerMs)
        }
        refilledAtMs = nowMs
    }

    /// Milliseconds from `nowMs` until a whole token is there, counting any lag of `nowMs` behind the bucket's
    /// latest time, since the refill resumes only from there.
    private func waitForNextTokenMs(from nowMs: Int64) -> Int64 {
        let missingUnits = Self.unitsPerToken - units
        precondition(missingUnits > 0, "invariant: a refused take lacks a token")
        let refillMs = (missingUnits + refillUnitsPerMs - 1) / refillUnitsPerMs
        let last = refilledAtMs ?? nowMs
        guard last > nowMs else { return refillMs }
        let (lagMs, lagOverflow) = last.subtractingReportingOverflow(nowMs)
        if lagOverflow { return .max }
        let (waitMs, waitOverflow) = lagMs.addingReportingOverflow(refillMs)
        return waitOverflow ? .max : waitMs
    }
}
