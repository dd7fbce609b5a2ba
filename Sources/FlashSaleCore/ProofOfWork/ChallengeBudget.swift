// How many challenges a unit issues per challenge lifetime, so that the spent set never has to refuse a fresh answer.

/// Counts the challenges issued in generations as long as a challenge lives. A challenge issued at `t` expires by
/// `t + lifetime`, so at any moment every live challenge (and so every answer `SpentChallenges` must remember) was
/// issued in the current generation or the one before. With at most `perGeneration` issued in each, the spent set
/// holds at most `2 × perGeneration` live entries: sized to that, it is never full when a genuine answer comes, and
/// the refusal moves to where it costs nobody a solved puzzle, the issuing of a new challenge (429, retry at the next
/// generation). A pure value: the caller passes the time and owns the lock.
public struct ChallengeBudget: Sendable {
    /// Length of a generation: the lifetime of a challenge, in ms.
    public let generationMs: Int64
    /// Challenges issued per generation at most.
    public let perGeneration: Int
    private var generation: Int64 = .min
    private var issued = 0

    public init(lifetimeMs: Int64, perGeneration: Int) {
        precondition(lifetimeMs > 0 && perGeneration > 0, "a challenge budget needs a lifetime and room for one")
        generationMs = lifetimeMs
        self.perGeneration = perGeneration
    }

    /// Takes one challenge from the budget at `nowMs`: nil when it may be issued, else the ms until the next
    /// generation opens. A clock that steps back stays in the generation it was in (it never reopens one).
    public mutating func take(nowMs: Int64) -> Int64? {
        let now = Self.generation(of: nowMs, length: generationMs)
        if now > generation {
            generation = now
            issued = 0
        }
        guard issued < perGeneration else {
            let (nextStart, overflow) = (generation &+ 1).multipliedReportingOverflow(by: generationMs)
            return overflow ? generationMs : max(nextStart - nowMs, 1)
        }
        issued += 1
        return nil
    }

    /// Challenges issued in the current generation.
    public var issuedNow: Int { issued }

    private static func generation(of nowMs: Int64, length: Int64) -> Int64 {
        // Floor division, so times before 1970 (a test clock) fall in the generation below, not toward zero.
        let (quotient, remainder) = nowMs.quotientAndRemainder(dividingBy: length)
        return remainder < 0 ? quotient - 1 : quotient
    }
}
