// Refuses a gossip message seen before or too old, so a recorded message cannot be played back.

/// Remembers the nonces of accepted messages for `windowMs`; a message older than the window, from too far in
/// the future, or with a nonce already seen is refused. Memory is bounded: when `capacity` nonces are held, the
/// oldest go first, and the window shrinks to what is remembered (older messages are refused).
public struct ReplayGuard: Sendable {
    public let windowMs: Int64
    public let capacity: Int
    private var seen: [String: Int64] = [:]
    /// Nonces in the order they were accepted, for eviction.
    private var order: [(nonce: String, sentAtMs: Int64)] = []
    private var head = 0
    /// Messages sent before this are refused (raised when memory is full).
    private var horizonMs: Int64 = .min

    public init(windowMs: Int64 = 30_000, capacity: Int = 100_000) {
        self.windowMs = windowMs
        self.capacity = capacity
    }

    public enum Verdict: Sendable, Equatable {
        case fresh
        case stale
        case replayed
    }

    /// Accepts (and remembers) a message sent at `sentAtMs` with `nonce`, judged at `nowMs`.
    public mutating func admit(nonce: String, sentAtMs: Int64, nowMs: Int64) -> Verdict {
        forget(before: nowMs - windowMs)
        guard sentAtMs >= nowMs - windowMs, sentAtMs <= nowMs + windowMs, sentAtMs >= horizonMs else { return .stale }
        guard seen[nonce] == nil else { return .replayed }
        seen[nonce] = sentAtMs
        order.append((nonce, sentAtMs))
        if seen.count > capacity, head < order.count {
            let oldest = order[head]
            head += 1
            seen.removeValue(forKey: oldest.nonce)
            horizonMs = max(horizonMs, oldest.sentAtMs + 1)
        }
        return .fresh
    }

    private mutating func forget(before ms: Int64) {
        // Nonces are accepted roughly in time order; forget from the front while they are out of the window.
        while head < order.count, order[head].sentAtMs < ms {
            seen.removeValue(forKey: order[head].nonce)
            head += 1
        }
        if head > 1_024, head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
    }
}
