// The buyer gate's rate limiters kept per sale: each sale has its own, and new rules start them anew.

import FlashSaleAPI
import FlashSaleCore
import Testing
@testable import UnitNode

@Suite struct BuyerGateLimiterTests {
    private let now: Int64 = 1_800_000_000_000

    private func gate() throws -> BuyerGate {
        try BuyerGate(unit: "eu-1", region: "eu", captchaKey: Array(repeating: 7, count: 32), metrics: UnitMetrics())
    }

    private func request(_ sale: String, from address: String = "10.0.0.1") -> PurchaseRequest {
        PurchaseRequest(sale: sale, namedUser: "alice", token: nil, captcha: nil, idempotencyKey: nil, clientAddress: address)
    }

    /// The codes of `count` attempts by alice in `sale` under `rules`, all at the same instant (no token comes back).
    private func attempts(_ gate: BuyerGate, _ count: Int, sale: String, rules: AdmissionRules) -> [ProblemCode?] {
        (0..<count).map { _ in
            switch gate.identify(request(sale), rules: rules, nowMs: now) {
            case .failure(let problem): problem.code
            case .success(let identity): gate.permit(identity, request: request(sale), rules: rules, nowMs: now)?.code
            }
        }
    }

    @Test func aBuyersBucketEmptiesAndEachSaleHasItsOwn() throws {
        let gate = try gate()
        let rules = AdmissionRules(userRate: RateLimit(perMinute: 1, burst: 2))
        #expect(attempts(gate, 3, sale: "sale-1", rules: rules) == [nil, nil, .rateLimited])
        #expect(attempts(gate, 3, sale: "sale-2", rules: rules) == [nil, nil, .rateLimited])
        #expect(attempts(gate, 1, sale: "sale-1", rules: rules) == [.rateLimited], "sale-1's bucket stays empty")
    }

    @Test func newRulesStartTheSalesLimitersAnew() throws {
        let gate = try gate()
        let strict = AdmissionRules(userRate: RateLimit(perMinute: 1, burst: 1), ipRate: RateLimit(perMinute: 1, burst: 2))
        #expect(attempts(gate, 2, sale: "sale-1", rules: strict) == [nil, .rateLimited])
        #expect(attempts(gate, 1, sale: "sale-1", rules: strict) == [.rateLimited], "the address's bucket is empty too")
        let looser = AdmissionRules(userRate: RateLimit(perMinute: 1, burst: 3), ipRate: RateLimit(perMinute: 1, burst: 3))
        #expect(attempts(gate, 4, sale: "sale-1", rules: looser) == [nil, nil, nil, .rateLimited])
        // Back to the first rules: new limiters again, with full buckets.
        #expect(attempts(gate, 2, sale: "sale-1", rules: strict) == [nil, .rateLimited])
    }
}
