// The buyer filters on the purchase path, refusal by refusal: each has its own stable code and changes nothing.

import Crypto
import FlashSaleAPI
import FlashSaleCore
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Synchronization
import Testing

@Suite struct AdmissionTests {
    static let signing = BuyerTokenSigningKey.generate(kid: "k1")
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
    static let altcha = HTTPField.Name("Altcha")!

    /// A token for `user` signed with `key`, valid for an hour unless told otherwise.
    static func token(
        _ user: String, region: String = TestUnit.region, level: Int = 1, accountAgeDays: Int64 = 365,
        expiresInSeconds: Int64 = 3_600, notBeforeInSeconds: Int64? = nil, key: BuyerTokenSigningKey = signing
    ) async throws -> String {
        let now = Date().millisecondsSince1970 / 1000
        return try await key.mint(
            BuyerClaims(
                userID: user, homeRegion: region, level: level, accountCreatedAtSeconds: now - accountAgeDays * 86_400,
                expiresAtSeconds: now + expiresInSeconds, notBeforeSeconds: notBeforeInSeconds.map { now + $0 },
                issuedAtSeconds: now))
    }

    private func buy(
        _ client: some TestClientProtocol, token: String? = nil, user: String? = nil, key: String? = nil,
        captcha: String? = nil, sale: String = TestUnit.saleID, headers extra: HTTPFields = [:]
    ) async throws -> TestResponse {
        var headers = extra
        if let token { headers[.authorization] = "Bearer \(token)" }
        if let key { headers[Self.idempotencyKey] = key }
        if let captcha { headers[Self.altcha] = captcha }
        let query = user.map { "?user=\($0)" } ?? ""
        return try await client.execute(uri: "/v1/sales/\(sale)/purchases\(query)", method: .post, headers: headers)
    }

    private func refusal(
        _ client: some TestClientProtocol, token: String? = nil, user: String? = nil, key: String? = nil,
        captcha: String? = nil, sale: String = TestUnit.saleID, headers: HTTPFields = [:]
    ) async throws -> ProblemCode {
        try code(await buy(client, token: token, user: user, key: key, captcha: captcha, sale: sale, headers: headers))
    }

    private func code(_ response: TestResponse) throws -> ProblemCode {
        #expect(response.headers[.contentType] == "application/problem+json")
        return try response.decoded(Problem.self).code
    }

    // MARK: Tokens

    @Test func everyBadTokenIsRefusedWithItsOwnCodeAndSellsNothing() async throws {
        let unit = try TestUnit(stock: 5, admission: AdmissionRules(requireToken: true), tokenKeys: [Self.signing.publicKey])
        defer { unit.remove() }
        let stranger = BuyerTokenSigningKey.generate(kid: "k1")
        let good = try await Self.token("alice")
        let parts = good.split(separator: ".").map(String.init)
        let algNone = Base64URL.encode(#"{"alg":"none","typ":"JWT","kid":"k1"}"#) + "." + parts[1] + "."
        let hsHeader = Base64URL.encode(#"{"alg":"HS256","typ":"JWT","kid":"k1"}"#)
        let confused = hsHeader + "." + parts[1] + "." + Base64URL.encode(
            Data(HMAC<SHA256>.authenticationCode(
                for: Data((hsHeader + "." + parts[1]).utf8), using: SymmetricKey(data: Data(Self.signing.publicKey.publicKeyPEM.utf8)))))
        try await unit.withLiveUnit { client in
            #expect(try await refusal(client) == .tokenRequired)
            #expect(try await refusal(client, user: "alice") == .tokenRequired, "a named user is not a token")
            #expect(try await refusal(client, token: "not-a-jwt") == .tokenInvalid)
            #expect(try await refusal(client, token: algNone) == .tokenInvalid)
            #expect(try await refusal(client, token: confused) == .tokenInvalid)
            #expect(try await refusal(client, token: try await Self.token("alice", key: stranger)) == .tokenInvalid)
            #expect(try await refusal(client, token: parts[0] + "." + parts[1] + "." + parts[2].reversed()) == .tokenInvalid)
            let expired = try await buy(client, token: try await Self.token("alice", expiresInSeconds: -5))
            #expect(expired.status == .unauthorized)
            #expect(expired.headers[.wwwAuthenticate] == "Bearer")
            #expect(try code(expired) == .tokenExpired)
            #expect(try await refusal(client, token: try await Self.token("alice", notBeforeInSeconds: 600)) == .tokenNotYetValid)
            #expect(try unit.stored().orders == 0, "no refusal sold anything")
            let sale = try await client.execute(uri: "/v1/sales/\(TestUnit.saleID)", method: .get).decoded(SaleView.self)
            #expect(sale.stockLeft == 5, "no refusal took stock")

            let created = try await buy(client, token: good)
            #expect(created.status == .created)
            #expect(try created.decoded(OrderView.self).user == "alice", "the user is the token's sub")
            #expect(try await refusal(client, token: good) == .alreadyBought, "the cached token still names alice")
        }
        #expect(try unit.stored().orders == 1)
    }

    /// The shop's identity provider: its tokens buy when they carry its iss, name the cluster's audience and are
    /// short-lived; the same key with any of those wrong is refused as token-invalid and sells nothing. Minted
    /// tokens still buy beside them.
    @Test func anIdentityProvidersTokensBuyOnlyWithItsIssuerAudienceAndShortLife() async throws {
        let provider = BuyerTokenSigningKey.generate(kid: "idp-2026")
        let issuer = TokenIssuer(
            issuer: "https://id.shop.example", audience: "flashsale", maxLifetimeSeconds: 600, keys: [provider.publicKey])
        let unit = try TestUnit(
            stock: 5, admission: AdmissionRules(requireToken: true), tokenKeys: [Self.signing.publicKey], tokenIssuer: issuer)
        defer { unit.remove() }
        @Sendable func providerToken(
            _ user: String, iss: String? = "https://id.shop.example", aud: [String]? = ["flashsale"], lifetime: Int64 = 300,
            issuedAgo: Int64 = 0
        ) async throws -> String {
            let now = Date().millisecondsSince1970 / 1000 - issuedAgo
            return try await provider.mint(
                BuyerClaims(
                    userID: user, homeRegion: TestUnit.region, level: 1, accountCreatedAtSeconds: now - 86_400 * 365,
                    expiresAtSeconds: now + lifetime, issuedAtSeconds: now, issuer: iss, audience: aud.map(BuyerClaims.Audience.init)))
        }
        try await unit.withLiveUnit { client in
            #expect(try await refusal(client, token: try await providerToken("ann", iss: "https://evil.example")) == .tokenInvalid)
            #expect(try await refusal(client, token: try await providerToken("ann", iss: nil)) == .tokenInvalid)
            #expect(try await refusal(client, token: try await providerToken("ann", aud: ["another-service"])) == .tokenInvalid)
            #expect(try await refusal(client, token: try await providerToken("ann", aud: nil)) == .tokenInvalid)
            let long = try await buy(client, token: try await providerToken("ann", lifetime: 3_600))
            #expect(try code(long) == .tokenInvalid)
            #expect(try long.decoded(Problem.self).detail?.contains("longer") == true)
            // An iat in the future does not stretch the life: exp may lie at most 600 s ahead.
            #expect(try await refusal(client, token: try await providerToken("ann", lifetime: 500, issuedAgo: -3_000)) == .tokenInvalid)
            #expect(try unit.stored().orders == 0, "no refusal sold anything")

            let good = try await buy(client, token: try await providerToken("ann", aud: ["other", "flashsale"]))
            #expect(good.status == .created, "\(String(buffer: good.body))")
            #expect(try good.decoded(OrderView.self).user == "ann")
            let minted = try await buy(client, token: try await Self.token("bob"))
            #expect(minted.status == .created, "a minted token buys beside the provider's")
            // A token the provider signed claiming to be minted (no iss, no aud) is still the provider's key's.
            let noClaims = try await provider.mint(
                BuyerClaims(
                    userID: "cy", homeRegion: TestUnit.region, level: 1, accountCreatedAtSeconds: 0,
                    expiresAtSeconds: Date().millisecondsSince1970 / 1000 + 60, issuedAtSeconds: Date().millisecondsSince1970 / 1000))
            #expect(try await refusal(client, token: noClaims) == .tokenInvalid)
        }
        #expect(try unit.stored().orders == 2)
    }

    @Test func aBuyerOfAnotherRegionOrUnitIsToldWhereToGo() async throws {
        let unit = try TestUnit(
            stock: 5, peers: ["eu-west-2"], admission: AdmissionRules(requireToken: true), tokenKeys: [Self.signing.publicKey])
        defer { unit.remove() }
        let units = [TestUnit.unitID, "eu-west-2"]
        let mine = try #require((0..<100).map { "user-\($0)" }.first { UnitOwnership.owner(of: $0, among: units) == TestUnit.unitID })
        let theirs = try #require((0..<100).map { "user-\($0)" }.first { UnitOwnership.owner(of: $0, among: units) == "eu-west-2" })
        try await unit.withLiveUnit { client in
            let abroad = try await buy(client, token: try await Self.token(mine, region: "us-east"))
            #expect(abroad.status.code == 421)
            let region = try abroad.decoded(Problem.self)
            #expect(region.code == .wrongRegion && region.owner == "us-east" && region.endpoint == "http://us-east.example")

            let elsewhere = try await buy(client, token: try await Self.token(theirs))
            #expect(elsewhere.status.code == 421)
            let other = try elsewhere.decoded(Problem.self)
            #expect(other.code == .wrongUnit && other.owner == "eu-west-2" && other.endpoint == "http://eu-west-2.example")
            #expect(try unit.stored().orders == 0)

            #expect(try await buy(client, token: try await Self.token(mine)).status == .created)
        }
    }

    // MARK: Idempotency

    @Test func aRetryWithTheSameKeyGetsTheSameOrderEvenAfterARestart() async throws {
        let unit = try TestUnit(stock: 5, perUserLimit: 3)
        defer { unit.remove() }
        let firstOrder = Mutex<OrderView?>(nil)
        try await unit.withLiveUnit { client in
            let created = try await buy(client, user: "alice", key: "order-1")
            #expect(created.status == .created)
            #expect(created.headers[HTTPField.Name("Idempotent-Replayed")!] == nil)
            let order = try created.decoded(OrderView.self)
            let retry = try await buy(client, user: "alice", key: "order-1")
            #expect(retry.status == .created)
            #expect(retry.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
            #expect(try retry.decoded(OrderView.self) == order)

            #expect(try await refusal(client, user: "alice", key: "order-1", sale: TestUnit.otherSaleID) == .idempotencyKeyMismatch)
            #expect(try await refusal(client, user: "alice", key: "has space") == .invalidInput)
            // Another user may pick the same key: keys belong to a user.
            #expect(try await buy(client, user: "bob", key: "order-1").status == .created)
            firstOrder.withLock { $0 = order }
        }
        let orderID = try #require(firstOrder.withLock { $0 }).id
        #expect(try unit.stored().orders == 2)
        try await unit.withLiveUnit { client in
            let again = try await buy(client, user: "alice", key: "order-1")
            #expect(again.status == .created)
            #expect(try again.decoded(OrderView.self).id == orderID, "the key survives a restart")
        }
        #expect(try unit.stored().orders == 2)
    }

    @Test func aRetryAfterTheStockIsGoneStillGetsItsOrder() async throws {
        let unit = try TestUnit(stock: 1)
        defer { unit.remove() }
        try await unit.withLiveUnit { client in
            let created = try await buy(client, user: "alice", key: "k")
            #expect(created.status == .created)
            #expect(try await refusal(client, user: "bob") == .soldOut)
            let retry = try await buy(client, user: "alice", key: "k")
            #expect(retry.status == .created)
            #expect(try retry.decoded(OrderView.self) == created.decoded(OrderView.self))
        }
    }

    // MARK: Rate limits

    @Test func usersAndAddressesHaveTheirOwnBuckets() async throws {
        let rules = AdmissionRules(userRate: RateLimit(perMinute: 2, burst: 2), ipRate: RateLimit(perMinute: 60, burst: 5))
        // A frozen clock: no token comes back between the requests, however slow the machine.
        let clock = TestClock(nowMs: Date().millisecondsSince1970)
        let unit = try TestUnit(stock: 50, perUserLimit: 10, admission: rules, nowMs: { clock.nowMs })
        defer { unit.remove() }
        try await unit.withLiveUnit { client in
            #expect(try await buy(client, user: "alice").status == .created)
            #expect(try await buy(client, user: "alice").status == .created)
            let limited = try await buy(client, user: "alice")
            #expect(limited.status == .tooManyRequests)
            #expect(try code(limited) == .rateLimited)
            #expect(limited.headers[.retryAfter] == "30", "one token per 30 s at 2 per minute")
            // The address (loopback) has had 3 of its 5; two more users pass, then the address is limited.
            #expect(try await buy(client, user: "bob").status == .created)
            #expect(try await buy(client, user: "carol").status == .created)
            #expect(try await refusal(client, user: "dave") == .rateLimited)
            // A second later the address has one token again.
            clock.advance(byMs: 1_000)
            #expect(try await buy(client, user: "dave").status == .created)
        }
        #expect(try unit.stored().orders == 5)
    }

    /// Behind a trusted load balancer each buyer has their own address bucket, named by X-Forwarded-For (its
    /// rightmost entry that is not a trusted proxy); anyone else's X-Forwarded-For is ignored, so a bot cannot
    /// choose a fresh bucket per request.
    @Test func addressesBehindATrustedProxyHaveTheirOwnBuckets() async throws {
        let rules = AdmissionRules(ipRate: RateLimit(perMinute: 60, burst: 2))
        let clock = TestClock(nowMs: Date().millisecondsSince1970)
        @Sendable func forwarded(_ chain: String) -> HTTPFields { [HTTPField.Name("X-Forwarded-For")!: chain] }
        var behind = try TestUnit(stock: 50, perUserLimit: 10, admission: rules, nowMs: { clock.nowMs })
        defer { behind.remove() }
        behind.trustedProxies = try TrustedProxies(parsing: ["127.0.0.0/8", "10.0.0.0/8"])
        try await behind.withLiveUnit { client in
            for (n, chain) in ["203.0.113.7", "198.51.100.1, 203.0.113.8", "203.0.113.9, 10.1.2.3"].enumerated() {
                // Each client's two tokens, though all arrive from the proxy (loopback).
                for attempt in 0..<2 {
                    let answer = try await buy(client, user: "u\(n)-\(attempt)", headers: forwarded(chain))
                    #expect(answer.status == .created, "\(chain) #\(attempt)")
                }
                #expect(try await refusal(client, user: "u\(n)-x", headers: forwarded(chain)) == .rateLimited, "\(chain)")
            }
            // The client wrote the leftmost entry itself: 203.0.113.8's bucket is empty whatever it claims before it.
            #expect(try await refusal(client, user: "spoof", headers: forwarded("192.0.2.55, 203.0.113.8")) == .rateLimited)
        }
        let direct = try TestUnit(stock: 50, perUserLimit: 10, admission: rules, nowMs: { clock.nowMs })
        defer { direct.remove() }
        try await direct.withLiveUnit { client async throws in
            #expect(try await buy(client, user: "a", headers: forwarded("203.0.113.1")).status == .created)
            #expect(try await buy(client, user: "b", headers: forwarded("203.0.113.2")).status == .created)
            #expect(try await refusal(client, user: "c", headers: forwarded("203.0.113.3")) == .rateLimited, "no proxy trusted: one bucket")
        }
    }

    // MARK: Eligibility

    @Test func blacklistLevelAndAccountAgeSayWhichRuleRefused() async throws {
        let rules = AdmissionRules(
            requireToken: true, eligibility: EligibilityRules(minLevel: 3, minAccountAgeSeconds: 30 * 86_400))
        let unit = try TestUnit(stock: 5, admission: rules, tokenKeys: [Self.signing.publicKey], blacklist: ["mallory"])
        defer { unit.remove() }
        try await unit.withLiveUnit { client in
            #expect(try await refusal(client, token: try await Self.token("mallory", level: 9)) == .blacklisted)
            let low = try await buy(client, token: try await Self.token("alice", level: 2))
            #expect(low.status == .forbidden)
            let lowProblem = try low.decoded(Problem.self)
            #expect(lowProblem.code == .levelTooLow && (lowProblem.detail ?? "").contains("min-level"))
            let young = try await buy(client, token: try await Self.token("alice", level: 5, accountAgeDays: 3))
            #expect(try code(young) == .accountTooNew)
            #expect(try young.decoded(Problem.self).detail?.contains("min-account-age") == true)
            #expect(try unit.stored().orders == 0)
            #expect(try await buy(client, token: try await Self.token("alice", level: 3, accountAgeDays: 31)).status == .created)
        }
    }

    @Test func aBlacklistedUserIsRefusedInAnOpenSaleToo() async throws {
        let unit = try TestUnit(stock: 5, blacklist: ["mallory"])
        defer { unit.remove() }
        try await unit.withLiveUnit { client in
            let answer = try await refusal(client, user: "mallory")
            #expect(answer == .blacklisted)
        }
        #expect(try unit.stored().orders == 0)
    }

    // MARK: Captcha

    @Test func aSolvedChallengeBuysOnceAndOnlyOnce() async throws {
        let unit = try TestUnit(stock: 5, admission: AdmissionRules(captchaDifficulty: 2_000))
        defer { unit.remove() }
        try await unit.withLiveUnit { client in
            #expect(try await refusal(client, user: "alice") == .captchaRequired)
            #expect(try await refusal(client, user: "alice", captcha: "bm90IGpzb24=") == .captchaInvalid)

            let answer = try await client.execute(uri: "/v1/sales/\(TestUnit.saleID)/challenge", method: .get)
            #expect(answer.status == .ok)
            let challenge = try answer.decoded(ProofOfWorkChallenge.self)
            #expect(challenge.maxNumber == 2_000)
            let number = try #require(ProofOfWorkSolver.solve(challenge))
            let payload = try ProofOfWorkSolution(challenge: challenge, number: number).payload()
            let wrong = try ProofOfWorkSolution(challenge: challenge, number: number == 0 ? 1 : number - 1).payload()
            #expect(try await refusal(client, user: "alice", captcha: wrong) == .captchaInvalid)
            #expect(try unit.stored().orders == 0)

            #expect(try await buy(client, user: "alice", captcha: payload).status == .created)
            #expect(try await refusal(client, user: "bob", captcha: payload) == .captchaReused)

            let open = try await client.execute(uri: "/v1/sales/\(TestUnit.otherSaleID)/challenge", method: .get)
            #expect(open.status == .notFound, "a sale without a captcha has no challenge")
        }
        #expect(try unit.stored().orders == 1)
    }

    @Test func aRefusedRequestLeavesNoIdempotencyRecordAndNoStockTaken() async throws {
        let unit = try TestUnit(stock: 3, admission: AdmissionRules(captchaDifficulty: 1_000))
        defer { unit.remove() }
        try await unit.withLiveUnit { client in
            // Refused for want of a challenge, with a key: nothing is remembered, nothing is taken.
            #expect(try await refusal(client, user: "alice", key: "try-1") == .captchaRequired)
            let sale = try await client.execute(uri: "/v1/sales/\(TestUnit.saleID)", method: .get).decoded(SaleView.self)
            #expect(sale.stockLeft == 3)
            // The same key with a solved challenge is a new request, not a replay of the refusal.
            let challenge = try await client.execute(uri: "/v1/sales/\(TestUnit.saleID)/challenge", method: .get)
                .decoded(ProofOfWorkChallenge.self)
            let payload = try ProofOfWorkSolution(
                challenge: challenge, number: try #require(ProofOfWorkSolver.solve(challenge))).payload()
            let created = try await buy(client, user: "alice", key: "try-1", captcha: payload)
            #expect(created.status == .created)
            // Its retry replays the order without a new challenge: the first answer comes back.
            let retry = try await buy(client, user: "alice", key: "try-1")
            #expect(retry.status == .created)
            #expect(try retry.decoded(OrderView.self) == created.decoded(OrderView.self))
            let after = try await client.execute(uri: "/v1/sales/\(TestUnit.saleID)", method: .get).decoded(SaleView.self)
            #expect(after.stockLeft == 2)
        }
        #expect(try unit.stored().orders == 1)
    }

    /// A challenge is signed for its sale and its difficulty: an answer to an easy sale's challenge buys nothing in a
    /// harder one (it once did), and an answer solved in advance cannot be had before the sale is near.
    @Test func aChallengeBuysOnlyInItsOwnSaleAndIsIssuedOnlyShortlyBeforeTheStart() async throws {
        let clock = TestClock(nowMs: Date().millisecondsSince1970)
        let unit = try TestUnit(
            stock: 5, startsAtMs: clock.nowMs + 120_000, admission: AdmissionRules(captchaDifficulty: 1_000),
            otherAdmission: AdmissionRules(captchaDifficulty: 200_000), nowMs: { clock.nowMs })
        defer { unit.remove() }
        try await unit.withLiveUnit { client in
            let early = try await client.execute(uri: "/v1/sales/\(TestUnit.saleID)/challenge", method: .get)
            #expect(try code(early) == .saleNotStarted)
            #expect(early.headers[.retryAfter] == "90", "issued from 30 s before the start")
            clock.advance(byMs: 90_000)
            let answer = try await client.execute(uri: "/v1/sales/\(TestUnit.saleID)/challenge", method: .get)
            #expect(answer.status == .ok)
            let challenge = try answer.decoded(ProofOfWorkChallenge.self)
            let easy = try ProofOfWorkSolution(challenge: challenge, number: try #require(ProofOfWorkSolver.solve(challenge))).payload()
            clock.advance(byMs: 30_000)
            // The other sale asks 200 times the work: the easy answer is refused there, and spends nothing.
            #expect(try await refusal(client, user: "alice", captcha: easy, sale: TestUnit.otherSaleID) == .captchaInvalid)
            #expect(try await buy(client, user: "alice", captcha: easy).status == .created)
        }
        #expect(try unit.stored().orders == 1)
    }

    @Test func anExpiredChallengeIsRefused() async throws {
        let clock = TestClock(nowMs: Date().millisecondsSince1970)
        let unit = try TestUnit(stock: 5, admission: AdmissionRules(captchaDifficulty: 1_000), nowMs: { clock.nowMs })
        defer { unit.remove() }
        try await unit.withLiveUnit { client in
            let answer = try await client.execute(uri: "/v1/sales/\(TestUnit.saleID)/challenge", method: .get)
            let challenge = try answer.decoded(ProofOfWorkChallenge.self)
            let payload = try ProofOfWorkSolution(challenge: challenge, number: try #require(ProofOfWorkSolver.solve(challenge))).payload()
            clock.advance(byMs: 6 * 60_000)
            #expect(try await refusal(client, user: "alice", captcha: payload) == .captchaExpired)
        }
        #expect(try unit.stored().orders == 0)
    }
}

/// Base64url without padding, for hand-made tokens.
enum Base64URL {
    static func encode(_ text: String) -> String { encode(Data(text.utf8)) }

    static func encode(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

/// A clock the test moves by hand.
final class TestClock: Sendable {
    private let current: Atomic<Int64>

    init(nowMs: Int64) { current = Atomic(nowMs) }

    var nowMs: Int64 { current.load(ordering: .relaxed) }

    func advance(byMs delta: Int64) { current.add(delta, ordering: .relaxed) }
}
