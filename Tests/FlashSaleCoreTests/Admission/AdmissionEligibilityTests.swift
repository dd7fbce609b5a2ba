// Eligibility: blacklist first, then level, then account age; rule validation; no trap at the ends of Int64.

import FlashSaleCore
import Foundation
import Testing

@Suite("Admission: eligibility")
struct AdmissionEligibilityTests {
    static let dayMs: Int64 = 86_400_000
    static let nowMs: Int64 = 1_750_000_000_000
    static let rules = EligibilityRules(minLevel: 3, minAccountAgeSeconds: 30 * 86_400)
    static let veteran = BuyerProfile(user: "alice", level: 5, accountCreatedAtMs: nowMs - 365 * dayMs)

    static func check(_ profile: BuyerProfile, _ rules: EligibilityRules = rules, blacklist: Set<String> = [],
                      nowMs: Int64 = nowMs) -> EligibilityDecision {
        Eligibility.check(profile, rules: rules, blacklist: blacklist, nowMs: nowMs)
    }

    @Test("a buyer meeting every rule is eligible; no rules admit anyone not blacklisted")
    func eligible() {
        #expect(Self.check(Self.veteran) == .eligible)
        let newcomer = BuyerProfile(user: "bob", level: 0, accountCreatedAtMs: Self.nowMs)
        #expect(Self.check(newcomer, EligibilityRules()) == .eligible)
        #expect(Self.check(newcomer, EligibilityRules(), blacklist: ["bob"]) == .blacklisted)
    }

    @Test("the blacklist is checked first, before level and age")
    func blacklistFirst() {
        let weak = BuyerProfile(user: "mallory", level: 0, accountCreatedAtMs: Self.nowMs)
        #expect(Self.check(weak, blacklist: ["mallory", "eve"]) == .blacklisted)
        #expect(Self.check(Self.veteran, blacklist: ["mallory"]) == .eligible)
        // Exact match only.
        #expect(Self.check(Self.veteran, blacklist: ["Alice", "alice "]) == .eligible)
    }

    @Test("the level must reach the minimum; level is reported before age")
    func level() {
        var profile = Self.veteran
        profile.level = 3
        #expect(Self.check(profile) == .eligible)
        profile.level = 2
        #expect(Self.check(profile) == .levelTooLow(required: 3, actual: 2))
        profile.accountCreatedAtMs = Self.nowMs
        #expect(Self.check(profile) == .levelTooLow(required: 3, actual: 2))
        profile.level = .min
        #expect(Self.check(profile) == .levelTooLow(required: 3, actual: .min))
    }

    @Test("the account must be old enough, and the refusal says from when")
    func accountAge() {
        let createdAtMs = Self.nowMs - 10 * Self.dayMs
        let eligibleAtMs = createdAtMs + 30 * Self.dayMs
        let profile = BuyerProfile(user: "bob", level: 9, accountCreatedAtMs: createdAtMs)
        #expect(Self.check(profile) == .accountTooNew(requiredAgeSeconds: 2_592_000, eligibleAtMs: eligibleAtMs))
        #expect(Self.check(profile, nowMs: eligibleAtMs - 1)
            == .accountTooNew(requiredAgeSeconds: 2_592_000, eligibleAtMs: eligibleAtMs))
        #expect(Self.check(profile, nowMs: eligibleAtMs) == .eligible)
    }

    @Test("with a zero minimum age, an account dated in the future waits until its creation time")
    func futureAccount() {
        let profile = BuyerProfile(user: "bob", level: 9, accountCreatedAtMs: Self.nowMs + 5)
        let rules = EligibilityRules(minAccountAgeSeconds: 0)
        #expect(Self.check(profile, rules) == .accountTooNew(requiredAgeSeconds: 0, eligibleAtMs: Self.nowMs + 5))
        #expect(Self.check(profile, rules, nowMs: Self.nowMs + 5) == .eligible)
    }

    @Test("huge or negative numbers saturate instead of trapping")
    func extremes() {
        let late = BuyerProfile(user: "bob", level: .max, accountCreatedAtMs: .max)
        let maxAge = EligibilityRules(minAccountAgeSeconds: .max)
        #expect(Self.check(late, maxAge) == .accountTooNew(requiredAgeSeconds: .max, eligibleAtMs: .max))
        #expect(Self.check(late, maxAge, nowMs: .max - 1) == .accountTooNew(requiredAgeSeconds: .max, eligibleAtMs: .max))

        let ancient = BuyerProfile(user: "bob", level: 0, accountCreatedAtMs: .min)
        // Created at Int64.min, a saturated age of Int64.max ms is reached at -1.
        #expect(Self.check(ancient, maxAge, nowMs: -2) == .accountTooNew(requiredAgeSeconds: .max, eligibleAtMs: -1))
        #expect(Self.check(ancient, maxAge, nowMs: -1) == .eligible)
        #expect(Self.check(ancient, EligibilityRules(minAccountAgeSeconds: 1), nowMs: .min) == .accountTooNew(
            requiredAgeSeconds: 1, eligibleAtMs: .min + 1_000))
        #expect(Self.check(ancient, EligibilityRules(minAccountAgeSeconds: 1), nowMs: .max) == .eligible)

        // Invalid negative rules never trap: a negative minimum age is no minimum, a negative level admits all.
        let negative = EligibilityRules(minLevel: .min, minAccountAgeSeconds: .min)
        #expect(negative.violation != nil)
        let now = BuyerProfile(user: "bob", level: .min, accountCreatedAtMs: Self.nowMs)
        #expect(Self.check(now, negative) == .eligible)
        #expect(Self.check(late, negative, nowMs: .min) == .accountTooNew(requiredAgeSeconds: 0, eligibleAtMs: .max))
    }

    @Test("valid rules", arguments: [
        EligibilityRules(), EligibilityRules(minLevel: 0, minAccountAgeSeconds: 0),
        EligibilityRules(minLevel: 10_000, minAccountAgeSeconds: 3_153_600_000),
    ])
    func validRules(rules: EligibilityRules) {
        #expect(rules.violation == nil)
    }

    @Test("levels outside 0-10000 are refused", arguments: [-1, 10_001, Int.min, Int.max])
    func badLevel(level: Int) {
        #expect(EligibilityRules(minLevel: level).violation == "minimum level must be 0-10000")
    }

    @Test("ages outside 0 to about a century are refused", arguments: [Int64(-1), 3_153_600_001, .min, .max])
    func badAge(seconds: Int64) {
        #expect(EligibilityRules(minAccountAgeSeconds: seconds).violation
            == "minimum account age must be 0-3153600000 seconds")
    }

    @Test("JSON round trip of rules and profiles; absent rules decode as nil")
    func codable() throws {
        let data = try JSONEncoder().encode(Self.rules)
        #expect(try JSONDecoder().decode(EligibilityRules.self, from: data) == Self.rules)
        let empty = try JSONDecoder().decode(EligibilityRules.self, from: Data("{}".utf8))
        #expect(empty == EligibilityRules())
        let profile = try JSONDecoder().decode(BuyerProfile.self, from: JSONEncoder().encode(Self.veteran))
        #expect(profile == Self.veteran)
    }
}
