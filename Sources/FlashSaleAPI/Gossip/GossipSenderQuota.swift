// How many gossip messages one member may send a node: a member cannot make a node check signatures without end.

public import FlashSaleCore
import Synchronization

/// A token bucket per key: per client address before a message's body is read (no address sends more than every
/// member behind it could), and per member once its own signature has been checked (a key nobody can claim without
/// the member's private key, so nobody can spend another member's bucket). An honest unit sends a given peer at most
/// one message per gossip round (5 a second at the default 200 ms, 100 at the shortest 10 ms); more, each message
/// costing a signature check per row it carries, is refused with `429 rate-limited` until the bucket fills again.
/// Soft state: bounded in keys like every limiter, forgotten at a restart.
public final class GossipSenderQuota: Sendable {
    /// Messages per minute and burst per sender: twice what the shortest gossip interval makes.
    public static let limit = RateLimit(perMinute: 12_000, burst: 200)
    private let limiter: Mutex<RateLimiter<String>>

    public init(limit: RateLimit = GossipSenderQuota.limit) {
        limiter = Mutex(RateLimiter(limit: limit, maxKeys: WireBounds.entriesMax))
    }

    /// Takes one message of `key` (a member, or a client address) at `nowMs`: nil, or the refusal to answer with.
    public func take(_ key: String, nowMs: Int64) -> Problem? {
        guard case .refused(let retryAfterMs) = limiter.withLock({ $0.take(key, atMs: nowMs) }) else { return nil }
        return Problem(
            .rateLimited, "too many gossip messages from \(key); a member sends a peer at most one per round",
            retryAfterSeconds: Int(min((retryAfterMs + 999) / 1000, 3_600)))
    }
}
