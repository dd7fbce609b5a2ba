// TokenBucket: burst, exact refill, retry-after, and time going backwards or to the ends of Int64.

import FlashSaleCore
import Testing

@Suite("Admission: token bucket")
struct AdmissionTokenBucketTests {
    /// Takes until refused and returns how many were allowed (at most `cap`).
    static func drain(_ bucket: inout TokenBucket, atMs nowMs: Int64, cap: Int = 10_000) -> Int {
        var allowed = 0
        while allowed < cap, bucket.take(atMs: nowMs) == .allowed { allowed += 1 }
        return allowed
    }

    @Test("a new bucket is full: the whole burst at once, then a refusal")
    func startsFull() {
        var bucket = TokenBucket(limit: RateLimit(perMinute: 60, burst: 5))
        #expect(bucket.availableTokens(atMs: 1_000) == 5)
        #expect(Self.drain(&bucket, atMs: 1_000) == 5)
        #expect(bucket.take(atMs: 1_000) == .refused(retryAfterMs: 1_000))
    }

    @Test("retry-after counts down to the next token, which is then there")
    func retryAfter() {
        var bucket = TokenBucket(limit: RateLimit(perMinute: 60, burst: 2))
        #expect(Self.drain(&bucket, atMs: 0) == 2)
        #expect(bucket.take(atMs: 0) == .refused(retryAfterMs: 1_000))
        #expect(bucket.take(atMs: 400) == .refused(retryAfterMs: 600))
        #expect(bucket.take(atMs: 999) == .refused(retryAfterMs: 1))
        #expect(bucket.take(atMs: 1_000) == .allowed)
        #expect(bucket.take(atMs: 1_000) == .refused(retryAfterMs: 1_000))
    }

    @Test("a rate that does not divide a minute rounds the wait up, never down")
    func roundsUp() {
        // 7 per minute: one token every 8,571.43 ms.
        var bucket = TokenBucket(limit: RateLimit(perMinute: 7, burst: 1))
        #expect(bucket.take(atMs: 0) == .allowed)
        #expect(bucket.take(atMs: 0) == .refused(retryAfterMs: 8_572))
        #expect(bucket.take(atMs: 8_571) == .refused(retryAfterMs: 1))
        #expect(bucket.take(atMs: 8_572) == .allowed)
    }

    @Test("no drift: over ten minutes at 7 per minute exactly 70 tokens refill, following retry-after")
    func noDrift() {
        var bucket = TokenBucket(limit: RateLimit(perMinute: 7, burst: 2))
        var nowMs: Int64 = 0
        var allowed = 0
        while nowMs <= 600_000 {
            switch bucket.take(atMs: nowMs) {
            case .allowed:
                allowed += 1
            case .refused(let retryAfterMs):
                // One millisecond earlier is still too early; the advertised time is not.
                var early = bucket
                #expect(retryAfterMs >= 1)
                #expect(retryAfterMs == 1 || !early.take(atMs: nowMs + retryAfterMs - 1).isAllowed)
                nowMs += retryAfterMs
            }
        }
        #expect(allowed == 2 + 70)
    }

    @Test("an idle bucket refills to the burst and no further")
    func refillsToBurst() {
        var bucket = TokenBucket(limit: RateLimit(perMinute: 60, burst: 3))
        #expect(bucket.fullRefillMs == 3_000)
        #expect(Self.drain(&bucket, atMs: 10_000) == 3)
        #expect(bucket.availableTokens(atMs: 12_999) == 2)
        #expect(bucket.availableTokens(atMs: 13_000) == 3)
        #expect(bucket.availableTokens(atMs: 10_000_000) == 3)
        #expect(Self.drain(&bucket, atMs: 10_000_000) == 3)
    }

    @Test("availableTokens does not take a token")
    func peekDoesNotTake() {
        var bucket = TokenBucket(limit: RateLimit(perMinute: 60, burst: 1))
        #expect(bucket.availableTokens(atMs: 0) == 1)
        #expect(bucket.availableTokens(atMs: 0) == 1)
        #expect(bucket.take(atMs: 0) == .allowed)
        #expect(bucket.availableTokens(atMs: 0) == 0)
    }

    @Test("a clock stepping back mints nothing, and the wait counts from the latest time seen")
    func clockBackwards() {
        var bucket = TokenBucket(limit: RateLimit(perMinute: 60, burst: 1))
        #expect(bucket.take(atMs: 10_000) == .allowed)
        #expect(bucket.take(atMs: 0) == .refused(retryAfterMs: 11_000))
        #expect(bucket.take(atMs: 10_000) == .refused(retryAfterMs: 1_000))
        #expect(bucket.take(atMs: 10_500) == .refused(retryAfterMs: 500))
        #expect(bucket.take(atMs: 11_000) == .allowed)
    }

    @Test("alternating timestamps cannot mint tokens")
    func jitter() {
        var bucket = TokenBucket(limit: RateLimit(perMinute: 60, burst: 2))
        #expect(Self.drain(&bucket, atMs: 5_000) == 2)
        for _ in 0..<1_000 {
            #expect(!bucket.take(atMs: 4_999).isAllowed)
            #expect(!bucket.take(atMs: 5_000).isAllowed)
        }
        #expect(bucket.take(atMs: 6_000) == .allowed)
    }

    @Test("times at the ends of Int64 neither trap nor mint")
    func extremeTimes() {
        var bucket = TokenBucket(limit: RateLimit(perMinute: 1, burst: 1_000_000))
        #expect(bucket.take(atMs: .min) == .allowed)
        // From Int64.min to Int64.max the difference overflows: the bucket is simply full.
        #expect(bucket.availableTokens(atMs: .max) == 1_000_000)
        #expect(Self.drain(&bucket, atMs: .max, cap: 2_000_000) == 1_000_000)
        // A token takes a minute; the bucket cannot be told to wait past Int64.max.
        #expect(bucket.take(atMs: .max) == .refused(retryAfterMs: 60_000))
        #expect(bucket.take(atMs: .min) == .refused(retryAfterMs: .max))
        #expect(bucket.take(atMs: -1) == .refused(retryAfterMs: .max))
        #expect(bucket.take(atMs: 0) == .refused(retryAfterMs: .max))
        #expect(bucket.availableTokens(atMs: .max) == 0)
    }

    @Test("the largest limits do not overflow, whatever the gap")
    func largestLimits() {
        var bucket = TokenBucket(limit: RateLimit(perMinute: 1_000_000, burst: 1_000_000))
        #expect(bucket.fullRefillMs == 60_000)
        #expect(Self.drain(&bucket, atMs: 0, cap: 2_000_000) == 1_000_000)
        // 1,000,000 per minute is 16.67 per millisecond.
        #expect(bucket.availableTokens(atMs: 3) == 50)
        #expect(bucket.availableTokens(atMs: 59_999) == 999_983)
        #expect(bucket.availableTokens(atMs: Int64.max) == 1_000_000)
    }

    @Test("limits outside the valid range are clamped, not trapped on", arguments: [
        (0, 0), (-5, -5), (Int.min, Int.min),
    ])
    func clampedLow(perMinute: Int, burst: Int) {
        var bucket = TokenBucket(limit: RateLimit(perMinute: perMinute, burst: burst))
        #expect(bucket.take(atMs: 0) == .allowed)
        #expect(bucket.take(atMs: 0) == .refused(retryAfterMs: 60_000))
    }

    @Test("huge limits are clamped to a million")
    func clampedHigh() {
        var bucket = TokenBucket(limit: RateLimit(perMinute: .max, burst: .max))
        #expect(bucket.availableTokens(atMs: 0) == 1_000_000)
        #expect(bucket.fullRefillMs == 60_000)
        #expect(bucket.take(atMs: 0) == .allowed)
    }
}
