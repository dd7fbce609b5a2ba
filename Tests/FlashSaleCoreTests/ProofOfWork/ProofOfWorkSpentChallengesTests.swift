// Single use of answers: spent once, forgotten when expired, bounded memory that fails closed.

import FlashSaleCore
import Testing
import TestSupport

@Suite("ProofOfWork spent challenges")
struct ProofOfWorkSpentChallengesTests {
    typealias Fixture = ProofOfWorkFixture

    @Test("a verified answer buys once: it stays valid, but the second spend is refused")
    func singleUse() {
        var spent = SpentChallenges(maxEntries: 100)
        /// Mutating calls cannot go inside #expect; this one can.
        func spend(_ signature: String, _ expiresAtMs: Int64, _ nowMs: Int64) -> Bool {
            spent.spend(signature: signature, expiresAtMs: expiresAtMs, nowMs: nowMs)
        }
        let solution = Fixture.solution
        for attempt in 0..<3 {
            let nowMs = Fixture.nowMs + Int64(attempt) * 1_000
            guard case .valid(let expiresAtMs) = Fixture.issuer.verify(solution, nowMs: nowMs) else {
                Issue.record("verify refused a genuine answer")
                return
            }
            #expect(spend(solution.signature, expiresAtMs, nowMs) == (attempt == 0))
        }
        #expect(spent.count == 1)
    }

    @Test("entries are forgotten once expired, and an expired spend is refused")
    func expiryPruning() {
        var spent = SpentChallenges(maxEntries: 100)
        /// Mutating calls cannot go inside #expect; this one can.
        func spend(_ signature: String, _ expiresAtMs: Int64, _ nowMs: Int64) -> Bool {
            spent.spend(signature: signature, expiresAtMs: expiresAtMs, nowMs: nowMs)
        }
        #expect(spend("a", 1_000, 0))
        #expect(spend("b", 2_000, 0))
        #expect(spend("c", 1_500, 0))
        #expect(spent.count == 3)
        #expect(!spend("a", 1_000, 999), "live, still remembered")
        #expect(spend("d", 3_000, 1_000))
        #expect(spent.count == 3, "a forgot at its expiry")
        #expect(!spend("a", 1_000, 1_000), "expired: refused, not re-spent")
        spent.forgetExpired(nowMs: 2_000)
        #expect(spent.count == 1, "b and c forgotten, d live")
        #expect(!spend("d", 3_000, 2_999))
        spent.forgetExpired(nowMs: 3_000)
        #expect(spent.count == 0)
    }

    @Test("when full it refuses new spends rather than forget live ones, and takes them again as entries expire")
    func failsClosedWhenFull() {
        var spent = SpentChallenges(maxEntries: 3)
        /// Mutating calls cannot go inside #expect; this one can.
        func spend(_ signature: String, _ expiresAtMs: Int64, _ nowMs: Int64) -> Bool {
            spent.spend(signature: signature, expiresAtMs: expiresAtMs, nowMs: nowMs)
        }
        #expect(spent.maxEntries == 3)
        #expect(spend("a", 5_000, 0))
        #expect(spend("b", 1_000, 0))
        #expect(spend("c", 5_000, 0))
        #expect(!spend("d", 5_000, 10), "full")
        #expect(!spend("a", 5_000, 10), "live entries were kept")
        #expect(!spend("b", 1_000, 10))
        #expect(spent.count == 3)
        #expect(spend("d", 5_000, 1_000), "b expired, room for one")
        #expect(!spend("e", 5_000, 1_000), "full again")
        #expect(!spend("d", 5_000, 4_999))
        #expect(spend("e", 9_000, 5_000), "all of a, c, d expired")
        #expect(spent.count == 1)
    }

    @Test("against a plain model, with expiries in any order: same answers, memory never above the bound")
    func matchesModel() {
        var random = SplitMix64(seed: 0x5BE7)
        let maxEntries = 50
        var spent = SpentChallenges(maxEntries: maxEntries)
        /// Mutating calls cannot go inside #expect; this one can.
        func spend(_ signature: String, _ expiresAtMs: Int64, _ nowMs: Int64) -> Bool {
            spent.spend(signature: signature, expiresAtMs: expiresAtMs, nowMs: nowMs)
        }
        var model: [String: Int64] = [:]
        var nowMs: Int64 = 0
        for _ in 0..<5_000 {
            nowMs += random.int64(0...20)
            let signature = "s\(random.int(0...300))"
            let expiresAtMs = nowMs + random.int64(-50...2_000)
            model = model.filter { $0.value > nowMs }
            let expected = expiresAtMs > nowMs && model[signature] == nil && model.count < maxEntries
            if expected { model[signature] = expiresAtMs }
            #expect(spend(signature, expiresAtMs, nowMs) == expected)
            #expect(spent.count == model.count)
            #expect(spent.count <= maxEntries)
        }
    }
}
