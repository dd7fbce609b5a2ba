// The challenge budget: a generation issues its share and no more, and with it the spent set never refuses a
// fresh, genuine answer.

import FlashSaleCore
import Testing
import TestSupport

@Suite("ProofOfWork challenge budget")
struct ChallengeBudgetTests {
    @Test("a generation issues its share, then says when the next one opens")
    func perGeneration() {
        var budget = ChallengeBudget(lifetimeMs: 1_000, perGeneration: 3)
        /// Mutating calls cannot go inside #expect; this one can.
        func take(_ nowMs: Int64) -> Int64? { budget.take(nowMs: nowMs) }
        #expect(take(10) == nil)
        #expect(take(20) == nil)
        #expect(take(999) == nil)
        #expect(take(999) == 1, "the next generation opens at 1,000")
        #expect(take(400) == 600, "a clock that steps back stays in its generation")
        #expect(take(1_000) == nil, "a new generation")
        #expect(budget.issuedNow == 1)
        #expect(take(1_001) == nil)
        #expect(take(1_002) == nil)
        #expect(take(-1) == 2_001, "a clock far back never reopens an older generation")
        var early = ChallengeBudget(lifetimeMs: 1_000, perGeneration: 1)
        #expect(early.take(nowMs: -1_500) == nil, "times before 1970 fall in the generation below")
        #expect(early.take(nowMs: -1_001) == 1, "-2,000 ..< -1,000 is one generation")
        #expect(early.take(nowMs: -1_000) == nil)
        var extreme = ChallengeBudget(lifetimeMs: 1_000, perGeneration: 1)
        #expect(extreme.take(nowMs: .max) == nil)
        #expect(extreme.take(nowMs: .max) == 1_000, "no overflow at the end of time")
        #expect(extreme.take(nowMs: .min) != nil)
    }

    @Test("with the budget, a spent set of twice its share never refuses a fresh answer, whatever the timing")
    func spentSetNeverFull() {
        var random = SplitMix64(seed: 0xB0D6E7)
        let lifetimeMs: Int64 = 1_000
        let share = 40
        var budget = ChallengeBudget(lifetimeMs: lifetimeMs, perGeneration: share)
        var spent = SpentChallenges(maxEntries: 2 * share)
        var outstanding: [(signature: String, expiresAtMs: Int64)] = []
        var nowMs: Int64 = 0
        var issued = 0
        var refusedIssues = 0
        for step in 0..<20_000 {
            nowMs += random.int64(0...15)
            if random.int(0...1) == 0 {
                if budget.take(nowMs: nowMs) == nil {
                    outstanding.append(("c\(step)", nowMs + lifetimeMs))
                    issued += 1
                } else {
                    refusedIssues += 1
                }
            } else if !outstanding.isEmpty {
                let (signature, expiresAtMs) = outstanding.remove(at: random.int(0...(outstanding.count - 1)))
                guard expiresAtMs > nowMs else { continue }  // the issuer refuses it as expired, before the spent set
                let fresh = spent.spend(signature: signature, expiresAtMs: expiresAtMs, nowMs: nowMs)
                #expect(fresh, "a genuine, unexpired, unspent answer was refused at \(nowMs) with \(spent.count) held")
                if !fresh { return }
            }
        }
        #expect(issued > 1_000 && refusedIssues > 0, "the test reached the budget (\(issued) issued, \(refusedIssues) refused)")
    }
}
