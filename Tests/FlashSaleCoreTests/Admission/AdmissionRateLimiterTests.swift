// RateLimiter: per-key limits, bounded memory under a flood of keys, and what is forgotten when.

import FlashSaleCore
import Testing

@Suite("Admission: rate limiter")
struct AdmissionRateLimiterTests {
    /// One token a second, three at once: a full refill takes 3 s.
    static let limit = RateLimit(perMinute: 60, burst: 3)

    static func drain(_ limiter: inout RateLimiter<String>, _ key: String, atMs nowMs: Int64) -> Int {
        var allowed = 0
        while allowed < 10_000, limiter.take(key, atMs: nowMs) == .allowed { allowed += 1 }
        return allowed
    }

    @Test("each key has its own bucket, with the wait of that bucket")
    func perKey() {
        var limiter = RateLimiter<String>(limit: Self.limit, maxKeys: 100)
        #expect(Self.drain(&limiter, "alice", atMs: 0) == 3)
        #expect(limiter.take("alice", atMs: 0) == .refused(retryAfterMs: 1_000))
        #expect(limiter.take("alice", atMs: 250) == .refused(retryAfterMs: 750))
        #expect(limiter.take("bob", atMs: 250) == .allowed)
        #expect(limiter.take("alice", atMs: 1_000) == .allowed)
        #expect(limiter.take("alice", atMs: 1_000) == .refused(retryAfterMs: 1_000))
        #expect(limiter.trackedKeys == 2)
    }

    @Test("a million distinct keys never hold more than maxKeys buckets")
    func boundedMemory() {
        let maxKeys = 10_000
        var limiter = RateLimiter<Int>(limit: RateLimit(perMinute: 60, burst: 5), maxKeys: maxKeys)
        var refused = 0
        var mostTracked = 0
        for key in 0..<1_000_000 {
            // 100 new keys a millisecond: both early (count) and age rotations happen.
            if !limiter.take(key, atMs: Int64(key / 100)).isAllowed { refused += 1 }
            mostTracked = max(mostTracked, limiter.trackedKeys)
        }
        #expect(mostTracked <= maxKeys)
        #expect(mostTracked >= maxKeys - 1)
        #expect(refused == 0)
    }

    @Test("a hot key stays limited while a flood of new keys rotates the generations hundreds of times")
    func hotKeyUnderFlood() {
        var limiter = RateLimiter<String>(limit: RateLimit(perMinute: 60, burst: 5), maxKeys: 100)
        var allowed = 0
        var firstRefusal: RateDecision?
        var floodKey = 0
        for nowMs in Int64(0)..<3_000 {
            let decision = limiter.take("hot", atMs: nowMs)
            if decision.isAllowed { allowed += 1 } else if firstRefusal == nil { firstRefusal = decision }
            for _ in 0..<10 {
                #expect(limiter.take("flood-\(floodKey)", atMs: nowMs) == .allowed)
                floodKey += 1
            }
            #expect(limiter.trackedKeys <= 100)
        }
        // The burst of 5, then one token at 1,000 ms and one at 2,000 ms.
        #expect(allowed == 7)
        // First refused at 5 ms: 4 ms of refill were already there, 995 ms to go.
        #expect(firstRefusal == .refused(retryAfterMs: 995))
    }

    @Test("a key idle for a full refill period is forgotten and comes back with a full bucket")
    func idleKeyForgotten() {
        var limiter = RateLimiter<String>(limit: Self.limit, maxKeys: 100)
        #expect(Self.drain(&limiter, "alice", atMs: 0) == 3)
        #expect(limiter.take("bob", atMs: 3_000) == .allowed)
        #expect(limiter.trackedKeys == 2)
        // The generation holding alice is a full refill period old when bob comes back: it is dropped.
        #expect(limiter.take("bob", atMs: 6_000) == .allowed)
        #expect(limiter.trackedKeys == 1)
        #expect(Self.drain(&limiter, "alice", atMs: 6_000) == 3)
    }

    @Test("a key idle for less than a full refill period keeps its partly empty bucket across a rotation")
    func recentKeyKept() {
        var limiter = RateLimiter<String>(limit: Self.limit, maxKeys: 100)
        #expect(limiter.take("bob", atMs: 0) == .allowed)
        #expect(Self.drain(&limiter, "alice", atMs: 2_999) == 3)
        // Rotation by age at 3,000 ms: alice moves to the previous generation.
        #expect(limiter.take("bob", atMs: 3_000) == .allowed)
        // 2,999 ms later alice has two tokens and most of a third, not a fresh bucket.
        #expect(limiter.take("alice", atMs: 5_998) == .allowed)
        #expect(limiter.take("alice", atMs: 5_998) == .allowed)
        #expect(limiter.take("alice", atMs: 5_998) == .refused(retryAfterMs: 1))
    }

    @Test("a flood of new keys beyond maxKeys forgets an early key, the documented trade-off")
    func floodForgets() {
        func aliceAfter(newKeys: Int) -> Int {
            var limiter = RateLimiter<String>(limit: Self.limit, maxKeys: 10)
            _ = Self.drain(&limiter, "alice", atMs: 0)
            for key in 0..<newKeys { _ = limiter.take("k\(key)", atMs: 0) }
            #expect(limiter.trackedKeys <= 10)
            return Self.drain(&limiter, "alice", atMs: 0)
        }
        #expect(aliceAfter(newKeys: 4) == 0)
        #expect(aliceAfter(newKeys: 9) == 0)
        #expect(aliceAfter(newKeys: 10) == 3)
    }

    @Test("maxKeys below 2 is raised to 2, and the bound holds")
    func tinyMaxKeys() {
        var limiter = RateLimiter<Int>(limit: Self.limit, maxKeys: 0)
        #expect(limiter.maxKeys == 2)
        for key in 0..<100 {
            #expect(limiter.take(key, atMs: 0) == .allowed)
            #expect(limiter.trackedKeys <= 2)
        }
    }

    @Test("a clock stepping back or jumping to the ends of Int64 neither traps nor mints")
    func clockJumps() {
        var limiter = RateLimiter<String>(limit: Self.limit, maxKeys: 100)
        #expect(Self.drain(&limiter, "alice", atMs: 10_000) == 3)
        #expect(limiter.take("alice", atMs: 9_000) == .refused(retryAfterMs: 2_000))
        #expect(limiter.take("alice", atMs: .min) == .refused(retryAfterMs: .max))
        #expect(limiter.take("alice", atMs: 10_999) == .refused(retryAfterMs: 1))
        #expect(limiter.trackedKeys == 1)
        #expect(Self.drain(&limiter, "alice", atMs: .max) == 3)
        #expect(limiter.take("bob", atMs: .min) == .allowed)
        #expect(limiter.trackedKeys <= 2)
    }
}
