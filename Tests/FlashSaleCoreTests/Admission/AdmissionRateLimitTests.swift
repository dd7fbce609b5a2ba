// RateLimit: which limits are accepted, and their JSON form.

import FlashSaleCore
import Foundation
import Testing

@Suite("Admission: rate limit")
struct AdmissionRateLimitTests {
    static let perMinuteMessage = "rate limit per minute must be 1-1000000"
    static let burstMessage = "rate limit burst must be 1-1000000"

    @Test("limits at both ends of the range are valid", arguments: [(1, 1), (1_000_000, 1_000_000), (60, 10)])
    func valid(perMinute: Int, burst: Int) {
        #expect(RateLimit(perMinute: perMinute, burst: burst).violation == nil)
    }

    @Test("a rate outside 1-1000000 is refused", arguments: [0, -1, 1_000_001, Int.min, Int.max])
    func badRate(perMinute: Int) {
        #expect(RateLimit(perMinute: perMinute, burst: 5).violation == Self.perMinuteMessage)
    }

    @Test("a burst outside 1-1000000 is refused", arguments: [0, -1, 1_000_001, Int.min, Int.max])
    func badBurst(burst: Int) {
        #expect(RateLimit(perMinute: 60, burst: burst).violation == Self.burstMessage)
    }

    @Test("the rate is reported before the burst")
    func firstViolation() {
        #expect(RateLimit(perMinute: 0, burst: 0).violation == Self.perMinuteMessage)
    }

    @Test("JSON round trip keeps both numbers under their own names")
    func codable() throws {
        let limit = RateLimit(perMinute: 120, burst: 7)
        let data = try JSONEncoder().encode(limit)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Int])
        #expect(object == ["perMinute": 120, "burst": 7])
        #expect(try JSONDecoder().decode(RateLimit.self, from: data) == limit)
    }
}
