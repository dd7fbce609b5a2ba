// Buyers at the config-center, through the real router: the first signing key, minted tokens and their
// refusals, key rotation, the blacklist, and a sale's admission rules carried into the configuration.

import ConfigCenter
import FlashSaleAPI
import FlashSaleCore
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// An account a little over a year old at the test's start.
private let buyerAccountCreatedAt = Fixed.at(-400 * 86_400)

/// A valid token request for region eu, with `ttlSeconds` 600 unless told.
private func buyerTokenRequest(
    user: String = "u-42", region: String = "eu", level: Int = 3, accountCreatedAt: Date = buyerAccountCreatedAt,
    ttlSeconds: Int? = 600
) -> TokenRequest {
    TokenRequest(user: user, region: region, level: level, accountCreatedAt: accountCreatedAt, ttlSeconds: ttlSeconds)
}

@Suite("Config-center buyers: tokens, key rotation, blacklist")
struct CenterBuyersTests {
    /// A verifier that trusts exactly the keys the center's configuration publishes now.
    static func verifier(_ center: CenterClient) async throws -> BuyerTokenVerifier {
        try BuyerTokenVerifier(keys: try await center.config().buyerTokenKeys ?? [])
    }
}

// MARK: Helpers

fileprivate extension CenterClient {
    func buyersMint(_ request: TokenRequest, sourceLocation: SourceLocation = #_sourceLocation) async throws -> TokenGrant {
        try ok(TokenGrant.self, try await post("/v1/tokens", request), status: .created, sourceLocation: sourceLocation)
    }

    func buyersRotate(sourceLocation: SourceLocation = #_sourceLocation) async throws -> BuyerTokenKey {
        try ok(BuyerTokenKey.self, try await post("/v1/token-keys/rotate", raw: ""), status: .created, sourceLocation: sourceLocation)
    }

    func buyersBlacklistResponse(_ method: HTTPRequest.Method, _ user: String) async throws -> TestResponse {
        try await execute(uri: "/v1/blacklist/\(user)", method: method)
    }

    func buyersBlacklist() async throws -> [String] { try ok([String].self, try await get("/v1/blacklist")) }

    @discardableResult
    func buyersBlacklistAdd(_ user: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> [String] {
        try ok([String].self, try await buyersBlacklistResponse(.put, user), sourceLocation: sourceLocation)
    }

    @discardableResult
    func buyersBlacklistRemove(_ user: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> [String] {
        try ok([String].self, try await buyersBlacklistResponse(.delete, user), sourceLocation: sourceLocation)
    }
}

extension CenterBuyersTests {
    // MARK: The first key

    @Test("a new config-center already has one token key in its configuration, at version 0")
    func firstKey() async throws {
        try await withCenter { center in
            let config = try await center.config()
            #expect(config.version == 0)
            let keys = try #require(config.buyerTokenKeys)
            #expect(keys.count == 1)
            #expect(keys.first?.publicKeyPEM.contains("BEGIN PUBLIC KEY") == true)
            #expect(try BuyerTokenVerifier(keys: keys).kids == Set(keys.map(\.kid)))
            #expect(config.blacklist == [])
            #expect(try await center.buyersBlacklist() == [])
        }
    }

    // MARK: Minting

    @Test("a token minted for a known region verifies with the configuration's keys, with the asked claims")
    func mintedTokenVerifies() async throws {
        try await withCenter { center in
            try await center.addRegion("eu")
            let before = try await center.config()
            let grant = try await center.buyersMint(buyerTokenRequest(ttlSeconds: 600))

            let nowSeconds = Fixed.nowMs / 1000
            let expected = BuyerClaims(
                userID: "u-42", homeRegion: "eu", level: 3,
                accountCreatedAtSeconds: buyerAccountCreatedAt.millisecondsSince1970 / 1000,
                expiresAtSeconds: nowSeconds + 600, issuedAtSeconds: nowSeconds)
            let verifier = try BuyerTokenVerifier(keys: try #require(before.buyerTokenKeys))
            #expect(verifier.verify(grant.token, nowMs: center.clock.nowMs) == .valid(expected))
            #expect(grant.kid == before.buyerTokenKeys?.first?.kid)
            #expect(grant.expiresAt == Fixed.at(600))
            // It stops working at exp, by the verifier's clock.
            #expect(verifier.verify(grant.token, nowMs: Fixed.nowMs + 600_000) == .expired)

            // Minting is not a configuration change.
            #expect(try await center.config() == before)
        }
    }

    @Test("without ttlSeconds a token lives an hour; the longest ttl and an account made this instant are accepted")
    func mintDefaultsAndBounds() async throws {
        try await withCenter { center in
            try await center.addRegion("eu")
            let verifier = try await Self.verifier(center)
            let nowSeconds = Fixed.nowMs / 1000

            let hour = try await center.buyersMint(buyerTokenRequest(ttlSeconds: nil))
            #expect(hour.expiresAt == Fixed.at(3_600))
            #expect(verifier.verify(hour.token, nowMs: Fixed.nowMs).claims?.expiresAtSeconds == nowSeconds + 3_600)

            let longest = try await center.buyersMint(buyerTokenRequest(ttlSeconds: TokenRequest.ttlSecondsMax))
            #expect(longest.expiresAt == Fixed.at(Int64(TokenRequest.ttlSecondsMax)))

            let fresh = try await center.buyersMint(buyerTokenRequest(user: "u-new", level: 0, accountCreatedAt: Fixed.now))
            let claims = try #require(verifier.verify(fresh.token, nowMs: Fixed.nowMs).claims)
            #expect(claims.userID == "u-new")
            #expect(claims.level == 0)
            #expect(claims.accountCreatedAtSeconds == nowSeconds)

            // The center's clock sets iat and exp.
            center.clock.advance(seconds: 100)
            let later = try await center.buyersMint(buyerTokenRequest(ttlSeconds: 60))
            #expect(later.expiresAt == Fixed.at(160))
            let laterClaims = try #require(verifier.verify(later.token, nowMs: center.clock.nowMs).claims)
            #expect(laterClaims.issuedAtSeconds == nowSeconds + 100)
            #expect(laterClaims.expiresAtSeconds == nowSeconds + 160)
            #expect(try await center.version() == 1)
        }
    }

    @Test(
        "invalid token requests are refused with invalid-input and change nothing",
        arguments: [
            ("user id with a space", buyerTokenRequest(user: "bad user")),
            ("empty user id", buyerTokenRequest(user: "")),
            ("user id with a slash", buyerTokenRequest(user: "a/b")),
            ("level -1", buyerTokenRequest(level: -1)),
            ("level above the maximum", buyerTokenRequest(level: EligibilityRules.minLevelMax + 1)),
            ("ttlSeconds 0", buyerTokenRequest(ttlSeconds: 0)),
            ("ttlSeconds negative", buyerTokenRequest(ttlSeconds: -1)),
            ("ttlSeconds too large", buyerTokenRequest(ttlSeconds: TokenRequest.ttlSecondsMax + 1)),
            ("account created in the future", buyerTokenRequest(accountCreatedAt: Fixed.at(60))),
        ])
    func invalidTokenRequest(label: String, request: TokenRequest) async throws {
        try await withCenter { center in
            try await center.addRegion("eu")
            let version = try await center.version()
            try await center.expectRefused(.invalidInput) { try await center.post("/v1/tokens", request) }
            #expect(try await center.version() == version, "\(label)")
        }
    }

    @Test("a token for a region the cluster does not declare is refused with unknown-region")
    func unknownRegion() async throws {
        try await withCenter { center in
            try await center.expectRefused(.unknownRegion) {
                try await center.post("/v1/tokens", buyerTokenRequest(region: "eu"))
            }
            try await center.addRegion("eu")
            let version = try await center.version()
            try await center.expectRefused(.unknownRegion) {
                try await center.post("/v1/tokens", buyerTokenRequest(region: "us"))
            }
            #expect(try await center.version() == version)
        }
    }

    @Test("a token request body that does not decode is refused with invalid-input")
    func undecodableTokenRequest() async throws {
        try await withCenter { center in
            try await center.addRegion("eu")
            try await center.expectRefused(.invalidInput) {
                try await center.post("/v1/tokens", raw: #"{"user":"u-1","region":"eu","level":1}"#)
            }
            try await center.expectRefused(.invalidInput) {
                try await center.post(
                    "/v1/tokens", raw: #"{"user":"u-1","region":"eu","level":1,"accountCreatedAt":"yesterday"}"#)
            }
        }
    }

    // MARK: Rotation

    @Test("rotation keeps the two newest keys, raises the version, and withdraws the oldest key's tokens")
    func rotation() async throws {
        try await withCenter { center in
            try await center.addRegion("eu")
            let initial = try await center.config()
            let firstKey = try #require(initial.buyerTokenKeys?.first)
            let beforeRotation = try await center.buyersMint(buyerTokenRequest(user: "u-before"))
            #expect(beforeRotation.kid == firstKey.kid)

            center.clock.advance(seconds: 1)
            let second = try await center.buyersRotate()
            let afterFirst = try await center.config()
            #expect(afterFirst.version == initial.version + 1)
            #expect(afterFirst.buyerTokenKeys == [second, firstKey], "newest first, the previous one kept")
            #expect(second.kid != firstKey.kid)

            // During the rotation both keys verify; new tokens are signed with the new key.
            let duringVerifier = try BuyerTokenVerifier(keys: try #require(afterFirst.buyerTokenKeys))
            #expect(duringVerifier.verify(beforeRotation.token, nowMs: center.clock.nowMs).claims?.userID == "u-before")
            let afterRotation = try await center.buyersMint(buyerTokenRequest(user: "u-after"))
            #expect(afterRotation.kid == second.kid)

            center.clock.advance(seconds: 1)
            let third = try await center.buyersRotate()
            let afterSecond = try await center.config()
            #expect(afterSecond.version == afterFirst.version + 1)
            #expect(afterSecond.buyerTokenKeys == [third, second], "exactly the newest two")
            #expect(Set([firstKey.kid, second.kid, third.kid]).count == 3)

            let verifier = try BuyerTokenVerifier(keys: try #require(afterSecond.buyerTokenKeys))
            let now = center.clock.nowMs
            #expect(verifier.verify(beforeRotation.token, nowMs: now) == .unknownKey)
            #expect(verifier.verify(afterRotation.token, nowMs: now).claims?.userID == "u-after")
            let newest = try await center.buyersMint(buyerTokenRequest(user: "u-newest"))
            #expect(newest.kid == third.kid)
            #expect(verifier.verify(newest.token, nowMs: now).claims?.userID == "u-newest")
            // A verifier still on the first configuration does not know the newest key yet.
            let stale = try BuyerTokenVerifier(keys: try #require(initial.buyerTokenKeys))
            #expect(stale.verify(newest.token, nowMs: now) == .unknownKey)
        }
    }

    @Test("rotations within one millisecond still make distinct, ordered keys")
    func fastRotations() async throws {
        try await withCenter { center in
            let first = try #require(try await center.config().buyerTokenKeys?.first)
            let a = try await center.buyersRotate()
            let b = try await center.buyersRotate()
            let c = try await center.buyersRotate()
            #expect(Set([first.kid, a.kid, b.kid, c.kid]).count == 4)
            let config = try await center.config()
            #expect(config.buyerTokenKeys == [c, b])
            #expect(config.version == 3)
        }
    }

    // MARK: Blacklist

    @Test("the blacklist: adding and removing raise the version, repeating either changes nothing")
    func blacklistLifecycle() async throws {
        try await withCenter { center in
            let v0 = try await center.version()

            #expect(try await center.buyersBlacklistAdd("u-7") == ["u-7"])
            let v1 = try await center.version()
            #expect(v1 == v0 + 1)

            let before = try await center.snapshot()
            #expect(try await center.buyersBlacklistAdd("u-7") == ["u-7"])
            #expect(try await center.snapshot() == before, "adding a listed user changes nothing")

            #expect(try await center.buyersBlacklistAdd("u-3") == ["u-3", "u-7"])
            #expect(try await center.buyersBlacklistAdd("a-9") == ["a-9", "u-3", "u-7"])
            #expect(try await center.version() == v1 + 2)
            #expect(try await center.buyersBlacklist() == ["a-9", "u-3", "u-7"], "listed sorted")
            #expect(try await center.config().blacklist == ["a-9", "u-3", "u-7"], "units learn it by the config")

            #expect(try await center.buyersBlacklistRemove("u-3") == ["a-9", "u-7"])
            let v4 = try await center.version()
            #expect(v4 == v1 + 3)
            #expect(try await center.buyersBlacklist() == ["a-9", "u-7"])
            #expect(try await center.config().blacklist == ["a-9", "u-7"])

            let afterRemove = try await center.snapshot()
            #expect(try await center.buyersBlacklistRemove("u-3") == ["a-9", "u-7"])
            #expect(try await center.buyersBlacklistRemove("never-listed") == ["a-9", "u-7"])
            #expect(try await center.snapshot() == afterRemove, "removing an unlisted user changes nothing")
            #expect(try await center.version() == v4)
        }
    }

    @Test("a blacklisted user can still be minted a token: the blacklist is enforced by units, not the center")
    func blacklistedUserStillMinted() async throws {
        try await withCenter { center in
            try await center.addRegion("eu")
            try await center.buyersBlacklistAdd("u-42")
            let grant = try await center.buyersMint(buyerTokenRequest(user: "u-42"))
            #expect(try await Self.verifier(center).verify(grant.token, nowMs: Fixed.nowMs).claims?.userID == "u-42")
        }
    }

    @Test(
        "an invalid user id that reaches the route as it is is refused on PUT with invalid-input",
        arguments: [String(repeating: "u", count: IdentifierRule.userIDMaxLength + 1), #"bad"user"#, #"bad\user"#])
    func invalidBlacklistUser(user: String) async throws {
        try await withCenter { center in
            try await center.buyersBlacklistAdd("u-1")
            try await center.expectRefused(.invalidInput) { try await center.buyersBlacklistResponse(.put, user) }
            #expect(try await center.buyersBlacklist() == ["u-1"])
        }
    }

    /// `ConfigCenterClient` escapes ids with `addingPercentEncoding(.urlPathAllowed - "/")`, so a valid id with `?`,
    /// `#`, `%`, `[`, `]`, `{`, `}`, `|`, `^`, `<`, `>` or a backtick arrives encoded: the route decodes it before
    /// checking and listing it, or the listed id would never match the buyer on a unit.
    @Test("percent-encoded user ids in the blacklist path are decoded before they are checked and listed")
    func percentEncodedBlacklistUser() async throws {
        try await withCenter { center in
            // A valid id the client had to escape is listed as the buyer sends it.
            let listed = try await center.buyersBlacklistAdd("u%3F1")
            #expect(listed == ["u?1"])
            #expect(try await center.config().blacklist == ["u?1"])
            // An invalid id, escaped, is still refused.
            let response = try await center.buyersBlacklistResponse(.put, "bad%20user")
            #expect(response.status == .badRequest)
        }
    }

    @Test("a user id of the longest length is accepted on PUT")
    func longestBlacklistUser() async throws {
        try await withCenter { center in
            let longest = String(repeating: "u", count: IdentifierRule.userIDMaxLength)
            let listed = try await center.buyersBlacklistAdd(longest)
            #expect(listed == [longest])
        }
    }

    // MARK: Sale admission rules

    @Test("a sale's admission rules round-trip into the configuration's terms")
    func admissionRoundTrip() async throws {
        try await withCenter { center in
            try await center.addCluster(["eu": ["eu-1"]])
            let rules = AdmissionRules(
                requireToken: true, userRate: RateLimit(perMinute: 100, burst: 10), captchaDifficulty: 5_000,
                eligibility: EligibilityRules(minLevel: 2))
            var spec = saleSpec("s1")
            spec.admission = rules
            let version = try await center.version()
            try await center.createSale(spec)
            #expect(try await center.version() == version + 1)

            let sale = try #require(try await center.config().sales.first)
            #expect(sale.terms.admission == rules)
            #expect(sale.terms.rules.requireToken)
            #expect(sale.terms.rules.userRate == RateLimit(perMinute: 100, burst: 10))
            #expect(sale.terms.rules.ipRate == nil)
            #expect(sale.terms.rules.captchaDifficulty == 5_000)
            #expect(sale.terms.rules.eligibility == EligibilityRules(minLevel: 2))

            // Re-creating with the same rules is a no-op; with other rules it is refused.
            let before = try await center.snapshot()
            try await center.createSale(spec)
            #expect(try await center.snapshot() == before)
            var other = spec
            other.admission?.captchaDifficulty = 6_000
            try await center.expectRefused(.alreadyExists) { try await center.post("/v1/sales", other) }
        }
    }

    @Test("open admission rules are stored as none")
    func openRules() async throws {
        try await withCenter { center in
            var spec = saleSpec("s1")
            spec.admission = AdmissionRules()
            try await center.createSale(spec)
            let sale = try #require(try await center.config().sales.first)
            #expect(sale.terms.admission == nil)
            #expect(sale.terms.rules == .open)
        }
    }

    @Test(
        "invalid admission rules are refused with invalid-input and nothing is created",
        arguments: [
            ("userRate perMinute 0", AdmissionRules(requireToken: true, userRate: RateLimit(perMinute: 0, burst: 10))),
            ("userRate burst 0", AdmissionRules(userRate: RateLimit(perMinute: 100, burst: 0))),
            ("ipRate perMinute too large", AdmissionRules(ipRate: RateLimit(perMinute: 1_000_001, burst: 10))),
            ("captchaDifficulty 10", AdmissionRules(requireToken: true, captchaDifficulty: 10)),
            ("captchaDifficulty too large", AdmissionRules(captchaDifficulty: 10_000_001)),
            ("eligibility without tokens", AdmissionRules(requireToken: false, eligibility: EligibilityRules(minLevel: 2))),
            (
                "account age without tokens",
                AdmissionRules(requireToken: false, eligibility: EligibilityRules(minAccountAgeSeconds: 86_400))
            ),
            ("minLevel -1", AdmissionRules(requireToken: true, eligibility: EligibilityRules(minLevel: -1))),
        ])
    func invalidAdmission(label: String, rules: AdmissionRules) async throws {
        try await withCenter { center in
            try await center.addCluster(["eu": ["eu-1"]])
            var spec = saleSpec("s1")
            spec.admission = rules
            try await center.expectRefused(.invalidInput) { try await center.post("/v1/sales", spec) }
            #expect(try await center.sales().isEmpty, "\(label)")
            #expect(try await center.config().sales.isEmpty, "\(label)")
        }
    }
}
