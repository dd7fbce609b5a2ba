// Token buckets for many keys (users, IPs) in bounded memory: the per-user and per-IP limits of the hot path.

/// One token bucket per key, holding at most `maxKeys` buckets however many distinct keys arrive.
///
/// Buckets live in two generations. A key is looked up in the current one, then in the previous one (and moved
/// forward); an unknown key gets a new, full bucket. The current generation becomes the previous one — and the
/// old previous one is dropped — when it is a full refill period old, or early when it holds `maxKeys / 2` keys.
///
/// The trade-off: a dropped key starts again with a full bucket. Rotation by age only drops keys idle for at
/// least a full refill period, whose buckets would be full anyway, so it loses nothing. Early rotation drops
/// keys that may still be partly empty, but only when more than `maxKeys / 2` other keys arrived since the key
/// was last seen — a flood beyond what the limiter was sized for. A key seen more often than that (the hot key
/// an attacker hammers) is always carried forward and stays limited.
public struct RateLimiter<Key: Hashable & Sendable>: Sendable {
    public let limit: RateLimit
    /// The most buckets held at once (at least 2, so each generation can hold one).
    public let maxKeys: Int
    private let generationCapacity: Int
    private let template: TokenBucket
    private var current: [Key: TokenBucket] = [:]
    private var previous: [Key: TokenBucket] = [:]
    /// When the current generation began; nil until the first call.
    private var generationStartedAtMs: Int64?
    /// The latest `nowMs` seen, so a clock stepping back cannot make a generation look older than it is.
    private var latestMs: Int64?

    public init(limit: RateLimit, maxKeys: Int) {
        self.limit = limit
        self.maxKeys = max(2, maxKeys)
        generationCapacity = self.maxKeys / 2
        template = TokenBucket(limit: limit)
    }

    /// Buckets held now, never more than `maxKeys`.
    public var trackedKeys: Int { current.count + previous.count }

    /// Keys the current generation has room for without growing (tests).
    var currentCapacity: Int { current.capacity }

    /// Takes one token from `key`'s bucket at `nowMs`.
    public mutating func take(_ key: Key, atMs nowMs: Int64) -> RateDecision {
        rotateIfOld(atMs: nowMs)
        let decision: RateDecision
        if current[key] != nil {
            decision = current[key, default: template].take(atMs: nowMs)
        } else {
            // Take the key's state out of the previous generation before a rotation could drop it.
            var bucket = previous.removeValue(forKey: key) ?? template
            if current.count >= generationCapacity { rotate() }
            decision = bucket.take(atMs: nowMs)
            current[key] = bucket
        }
        precondition(
            current.count <= generationCapacity && previous.count <= generationCapacity,
            "invariant: a rate limiter holds at most maxKeys buckets")
        return decision
    }

    private mutating func rotateIfOld(atMs nowMs: Int64) {
        latestMs = max(latestMs ?? nowMs, nowMs)
        guard let startedAtMs = generationStartedAtMs else {
            generationStartedAtMs = nowMs
            return
        }
        guard nowMs > startedAtMs else { return }
        let (ageMs, overflow) = nowMs.subtractingReportingOverflow(startedAtMs)
        if overflow || ageMs >= template.fullRefillMs { rotate() }
    }

    private mutating func rotate() {
        // The old previous generation's storage is emptied and reused, not dropped: a new one grew by doubling,
        // rehashing every key at each step while buyers waited on the limiter's lock.
        swap(&previous, &current)
        current.removeAll(keepingCapacity: true)
        // The latest time seen, not the caller's: with timestamps out of order, every bucket handed to the
        // previous generation was still last refilled no later than this, so dropping that generation a full
        // refill period afterwards drops only full buckets.
        generationStartedAtMs = latestMs
    }
}
