// What a herd buyer does after each kind of answer.

import Testing

@testable import Herd

struct BuyerStepTests {
    let fresh = BuyerStep.Budget(retriesLeft: 3, redirectsLeft: 2)
    let spent = BuyerStep.Budget(retriesLeft: 0, redirectsLeft: 0)

    func step(_ status: Int, _ code: String? = nil, endpoint: String? = nil, retryAfter: Int? = nil, budget: BuyerStep.Budget? = nil) -> BuyerStep {
        BuyerStep.after(status: status, code: code, endpoint: endpoint, retryAfterSeconds: retryAfter, budget: budget ?? fresh)
    }

    @Test func finalAnswersFinish() {
        #expect(step(201) == .finish(.ordered))
        #expect(step(409, "already-bought") == .finish(.alreadyBought))
        #expect(step(410, "sold-out") == .finish(.soldOut))
        #expect(step(409, "sale-ended") == .finish(.refused("sale-ended")))
        #expect(step(401, "token-invalid") == .finish(.refused("token-invalid")))
        #expect(step(403, "level-too-low") == .finish(.refused("level-too-low")))
        #expect(step(400) == .finish(.refused("http-400")))
    }

    @Test func misdirectionsAreFollowedWhileHopsAreLeft() {
        #expect(step(421, "wrong-unit", endpoint: "http://127.0.0.1:8102") == .redirect(to: "http://127.0.0.1:8102"))
        #expect(step(421, "wrong-unit", endpoint: "http://x", budget: spent) == .finish(.gaveUp("wrong-unit")))
        #expect(step(421, "wrong-region") == .finish(.refused("wrong-region")), "no endpoint named: nowhere to go")
    }

    @Test func passingRefusalsWaitForRetryAfterWithinBounds() {
        #expect(step(503, "rebalancing", retryAfter: 1) == .retry(afterMilliseconds: 1_000))
        #expect(step(429, "rate-limited", retryAfter: 3) == .retry(afterMilliseconds: 3_000))
        #expect(step(403, "sale-not-started", retryAfter: 900) == .retry(afterMilliseconds: BuyerStep.retryWaitMaxMilliseconds))
        #expect(step(503, "unit-recovering", retryAfter: Int.max) == .retry(afterMilliseconds: BuyerStep.retryWaitMaxMilliseconds))
        #expect(step(409, "idempotency-in-progress", retryAfter: nil) == .retry(afterMilliseconds: 0))
        #expect(step(403, "captcha-reused") == .retry(afterMilliseconds: 0), "a fresh challenge is fetched")
        #expect(step(0, "timeout") == .retry(afterMilliseconds: BuyerStep.transportRetryMilliseconds))
    }

    @Test func retriesRunOut() {
        #expect(step(503, "rebalancing", retryAfter: 1, budget: spent) == .finish(.gaveUp("rebalancing")))
        #expect(step(0, nil, budget: spent) == .finish(.gaveUp("no-answer")))
        #expect(step(503, nil, budget: spent) == .finish(.gaveUp("http-503")))
    }
}
