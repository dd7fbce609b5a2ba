// The filters in front of the purchase desk: who the buyer is, and whether they may try at all.

import Crypto
import FlashSaleAPI
import FlashSaleCore
import Foundation
import HTTPTypes
import NIOCore
import Synchronization

/// Decides, before the desk, whether a purchase request may go on, cheapest check first: the address's rate limit,
/// the token (a cached verification costs a hash), the buyer's region and owning unit, then (after the desk has
/// had a chance to replay an idempotency key) the user's rate limit, blacklist and eligibility, and the
/// proof of work. Each refusal is a problem with its own stable code, and none touches stock or orders.
///
/// The pure decisions live in the core (`RateLimiter`, `UnitOwnership`, `Eligibility`, `ProofOfWorkIssuer`);
/// this type holds their state behind locks held only for the decision, never across an await.
final class BuyerGate: Sendable {
    /// Keys remembered per rate limiter: bounds memory whatever the number of distinct users or addresses.
    static let limiterMaxKeys = 200_000
    /// How long a proof-of-work challenge may be solved for.
    static let challengeLifetimeMs: Int64 = 5 * 60_000
    /// How long before a sale's start its challenges are issued: a bot cannot stock up answers in advance, and a
    /// buyer whose page asks a moment early still gets one.
    static let challengeLeadMs: Int64 = 30_000
    /// Challenges one unit issues per challenge lifetime at most (about 1,700 a second over five minutes).
    static let challengesPerGeneration = 500_000
    /// Challenges one client address may fetch when the sale sets no address rate: room for a crowd behind one NAT
    /// (or a rehearsal from one host), but one address takes at most about 32,000 of a generation's 500,000.
    static let challengeRateDefault = RateLimit(perMinute: 6_000, burst: 2_000)

    /// What the configuration says about the cluster's buyers and members.
    struct Directory: Sendable {
        var blacklist: Set<String> = []
        /// Unit ids per region, for ownership.
        var unitsByRegion: [String: [String]] = [:]
        var unitURLs: [String: String] = [:]
        var regionEndpoints: [String: String] = [:]
        var tokenKeys: [BuyerTokenKey] = []
        var tokenIssuer: TokenIssuer?
        /// Each sale's owners by region, fixed when it opened (`SaleConfig.owners`).
        var ownersBySale: [String: [String: [String]]] = [:]
        /// Owners the config-center retired from each sale, by region (`SaleConfig.retired`): their buyers belong to
        /// the others for the rest of the sale.
        var retiredBySale: [String: [String: [String]]] = [:]

        /// The units whose hash decides who owns `sale`'s buyers in `region`: the sale's owners less those retired,
        /// or the region's units now for a sale that has none.
        func owners(sale: String, region: String) -> [String] {
            if let fixed = ownersBySale[sale]?[region], !fixed.isEmpty {
                let retired = retiredBySale[sale]?[region] ?? []
                return retired.isEmpty ? fixed : fixed.filter { !retired.contains($0) }
            }
            return unitsByRegion[region] ?? []
        }
    }

    private struct SaleLimiters: Sendable {
        var rules: AdmissionRules
        var users: RateLimiter<String>?
        var addresses: RateLimiter<String>?
        /// Challenges fetched per client address, at the sale's address rate or `challengeRateDefault` (a buyer needs
        /// one per attempt): one client cannot spend the generation's challenge budget that every buyer shares.
        var challenges: RateLimiter<String>?

        init(rules: AdmissionRules) {
            self.rules = rules
            users = rules.userRate.map { RateLimiter(limit: $0, maxKeys: BuyerGate.limiterMaxKeys) }
            addresses = rules.ipRate.map { RateLimiter(limit: $0, maxKeys: BuyerGate.limiterMaxKeys) }
            challenges = RateLimiter(limit: rules.ipRate ?? BuyerGate.challengeRateDefault, maxKeys: BuyerGate.limiterMaxKeys)
        }

        /// One attempt of `key` against `limiter` under `rules`; the limiters start anew when the rules changed.
        mutating func take(
            _ limiter: WritableKeyPath<SaleLimiters, RateLimiter<String>?>, _ key: String, rules: AdmissionRules,
            atMs nowMs: Int64
        ) -> RateDecision {
            if self.rules != rules { self = SaleLimiters(rules: rules) }
            return self[keyPath: limiter]?.take(key, atMs: nowMs) ?? .allowed
        }
    }

    let unit: String
    let region: String
    private let directory = Mutex(Directory())
    private let verifier = Mutex<BuyerTokenVerifier?>(nil)
    private let limiters = Mutex<[String: SaleLimiters]>([:])
    /// Signs this unit's challenges; each sale and difficulty signs with its own key made from it (`issuer(sale:maxNumber:)`).
    private let captchaKey: [UInt8]
    /// Answers already used. Sized to twice the challenges one generation may issue (`challengeBudget`), so it is
    /// never full when a genuine answer comes; its own bound stays only as the last line (a clock stepping back).
    private let spent = Mutex(SpentChallenges(maxEntries: 2 * BuyerGate.challengesPerGeneration))
    private let challengeBudget = Mutex(
        ChallengeBudget(lifetimeMs: BuyerGate.challengeLifetimeMs, perGeneration: BuyerGate.challengesPerGeneration))
    private let metrics: UnitMetrics
    /// The proxies whose X-Forwarded-For names the client an address rate limit counts.
    let trustedProxies: TrustedProxies

    /// `captchaKey` signs this unit's challenges (at least 32 bytes); a restart with a new key voids old ones.
    init(
        unit: String, region: String, captchaKey: [UInt8], metrics: UnitMetrics, trustedProxies: TrustedProxies = .none
    ) throws {
        self.trustedProxies = trustedProxies
        guard ProofOfWorkIssuer(key: captchaKey) != nil else {
            throw UnitSettingsError(description: "the captcha key must be at least \(ProofOfWorkIssuer.keyMinBytes) bytes")
        }
        self.unit = unit
        self.region = region
        self.captchaKey = captchaKey
        self.metrics = metrics
    }

    /// Takes in a new configuration: members, blacklist, token keys (a rotation needs no restart).
    func update(_ config: ClusterConfig) throws {
        var next = Directory()
        next.blacklist = Set(config.blacklist ?? [])
        for spec in config.units {
            next.unitsByRegion[spec.region, default: []].append(spec.id)
            if let url = spec.url { next.unitURLs[spec.id] = url }
        }
        for region in config.regions { if let endpoint = region.endpoint { next.regionEndpoints[region.id] = endpoint } }
        for sale in config.sales {
            if let owners = sale.owners { next.ownersBySale[sale.terms.id] = owners }
            if let retired = sale.retired { next.retiredBySale[sale.terms.id] = retired }
        }
        next.tokenKeys = config.buyerTokenKeys ?? []
        next.tokenIssuer = config.tokenIssuer
        // The configuration is signed by the config-center, which checks these; checked again, as every number is.
        if let problem = config.tokenIssuer?.problem { throw UnitSettingsError(description: "token issuer: \(problem)") }
        let keysChanged = directory.withLock { $0.tokenKeys != next.tokenKeys || $0.tokenIssuer != next.tokenIssuer }
        if keysChanged {
            // Built before it is swapped in: a bad key refuses the whole update and the old keys stay in force.
            let fresh = next.tokenKeys.isEmpty && next.tokenIssuer == nil
                ? nil : try BuyerTokenVerifier(keys: next.tokenKeys, issuer: next.tokenIssuer)
            verifier.withLock { $0 = fresh }
        }
        directory.withLock { $0 = next }
    }

    /// Why an identity provider's token was refused, for the buyer (who can ask the shop for the right token).
    static func untrustedDetail(_ mismatch: BuyerTokenVerdict.IssuerMismatch) -> String {
        switch mismatch {
        case .issuer: "the token's iss is not the identity provider this cluster trusts"
        case .audience: "the token's aud does not name this cluster's audience"
        case .lifetime: "the token lives longer than this cluster allows (exp - iat, or exp from now)"
        }
    }

    /// The client an address rate limit counts a request by: the TCP peer, or, from a trusted proxy, the client it
    /// names in X-Forwarded-For.
    func clientAddress(peer: SocketAddress?, headers: HTTPFields) -> String {
        clientAddress(peer: peer, forwardedFor: headers[values: Self.forwardedFor])
    }

    /// The same, from the values of every `X-Forwarded-For` field, in order.
    func clientAddress(peer: SocketAddress?, forwardedFor: [String]) -> String {
        trustedProxies.clientKey(peer: peer, forwardedFor: forwardedFor)
    }

    /// The literal is a valid field name, so the initializer cannot fail (no input reaches it).
    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!

    // MARK: Before the desk

    /// Who is buying: the address's rate, the token, the region and the owning unit. For an order already at this
    /// unit (`owning: false`) only who the buyer is matters, not where they would buy now. Synchronous (locks held
    /// for a lookup only), so the purchase handler runs it on its event loop.
    func identify(
        _ request: PurchaseRequest, rules: AdmissionRules, nowMs: Int64, owning: Bool = true
    ) -> Result<BuyerIdentity, Problem> {
        if rules.ipRate != nil,
            case .refused(let retryAfterMs) = take(\.addresses, request.clientAddress, rules: rules, sale: request.sale, nowMs: nowMs)
        {
            metrics.rateLimited(byAddress: true)
            return .failure(Self.rateLimited("this address", retryAfterMs: retryAfterMs))
        }
        let identity: BuyerIdentity
        if rules.requireToken {
            guard let token = request.token, !token.isEmpty else {
                return .failure(Problem(.tokenRequired, "send a buyer token as 'Authorization: Bearer <token>'"))
            }
            guard let verifier = verifier.withLock({ $0 }) else {
                return .failure(Problem(.tokenInvalid, "this unit has no token keys yet; try again shortly"))
            }
            switch verifier.verify(token, nowMs: nowMs) {
            case .valid(let claims): identity = BuyerIdentity(user: claims.userID, claims: claims)
            case .missing: return .failure(Problem(.tokenRequired, "send a buyer token as 'Authorization: Bearer <token>'"))
            case .malformed: return .failure(Problem(.tokenInvalid, "the token is not a well-formed JWT with the expected claims"))
            case .unsupportedAlgorithm: return .failure(Problem(.tokenInvalid, "only ES256 tokens are accepted"))
            case .unknownKey: return .failure(Problem(.tokenInvalid, "the token was signed with a key this cluster does not know"))
            case .badSignature: return .failure(Problem(.tokenInvalid, "the token's signature does not verify"))
            case .expired: return .failure(Problem(.tokenExpired, "get a new token"))
            case .notYetValid: return .failure(Problem(.tokenNotYetValid, "the token's nbf is in the future"))
            case .untrusted(let mismatch): return .failure(Problem(.tokenInvalid, Self.untrustedDetail(mismatch)))
            }
            guard IdentifierRule.isValidUserID(identity.user) else {
                return .failure(Problem(.tokenInvalid, "the token's sub is not a valid user id"))
            }
        } else {
            guard let user = request.namedUser, IdentifierRule.isValidUserID(user) else {
                return .failure(PurchaseAnswers.badUserProblem)
            }
            identity = BuyerIdentity(user: user, claims: nil)
        }
        if owning, let problem = misdirected(identity, sale: request.sale) { return .failure(problem) }
        return .success(identity)
    }

    /// The unit's answer when the buyer belongs to another region or to another unit of this one.
    private func misdirected(_ identity: BuyerIdentity, sale: String) -> Problem? {
        let home = identity.claims?.homeRegion ?? region
        return directory.withLock { directory -> Problem? in
            if home != region {
                let owner = UnitOwnership.owner(of: identity.user, among: directory.owners(sale: sale, region: home))
                let endpoint = directory.regionEndpoints[home] ?? owner.flatMap { directory.unitURLs[$0] }
                return Problem(
                    .wrongRegion, "this buyer's home region is \(home); buy at its endpoint", endpoint: endpoint,
                    owner: home)
            }
            // A unit not (yet) in the configuration serves whoever reaches it rather than turn everyone away; a unit
            // that joined after the sale opened is in the configuration but no owner of it, and sends buyers on.
            let owners = directory.owners(sale: sale, region: region)
            let member = (directory.unitsByRegion[region] ?? []).contains(unit)
            guard member, let owner = UnitOwnership.owner(of: identity.user, among: owners), owner != unit
            else { return nil }
            return Problem(
                .wrongUnit, "unit \(owner) of this region serves this buyer", endpoint: directory.unitURLs[owner],
                owner: owner)
        }
    }

    /// The checks after the desk found no idempotent replay: the user's rate, blacklist, eligibility, captcha.
    func permit(_ identity: BuyerIdentity, request: PurchaseRequest, rules: AdmissionRules, nowMs: Int64) -> Problem? {
        if rules.userRate != nil,
            case .refused(let retryAfterMs) = take(\.users, identity.user, rules: rules, sale: request.sale, nowMs: nowMs)
        {
            metrics.rateLimited(byAddress: false)
            return Self.rateLimited("this buyer", retryAfterMs: retryAfterMs)
        }
        let blacklist = directory.withLock { $0.blacklist }
        if blacklist.contains(identity.user) { return Problem(.blacklisted, "this buyer is refused in every sale") }
        if let eligibility = rules.eligibility, let claims = identity.claims {
            let profile = BuyerProfile(
                user: identity.user, level: claims.level,
                accountCreatedAtMs: claims.accountCreatedAtSeconds.multipliedReportingOverflow(by: 1000).partialValue)
            switch Eligibility.check(profile, rules: eligibility, blacklist: [], nowMs: nowMs) {
            case .eligible: break
            case .blacklisted: return Problem(.blacklisted, "this buyer is refused in every sale")
            case .levelTooLow(let required, let actual):
                return Problem(.levelTooLow, "rule min-level: this sale needs level \(required), the buyer has \(actual)")
            case .accountTooNew(let requiredAgeSeconds, _):
                return Problem(.accountTooNew, "rule min-account-age: this sale needs an account at least \(requiredAgeSeconds / 86_400) days old")
            }
        }
        if let difficulty = rules.captchaDifficulty {
            return checkCaptcha(request.captcha, sale: request.sale, difficulty: difficulty, nowMs: nowMs)
        }
        return nil
    }

    // MARK: Proof of work

    /// The issuer of `sale`'s challenges at difficulty `maxNumber`: its key is an HMAC of both under the unit's
    /// captcha key, so an answer to one sale's (or an easier) challenge is refused in another as not signed here.
    private func issuer(sale: String, maxNumber: Int) -> ProofOfWorkIssuer? {
        let context = Array("flashsale-captcha\n\(sale)\n\(maxNumber)".utf8)
        return ProofOfWorkIssuer(key: Array(HMAC<SHA256>.authenticationCode(for: context, using: SymmetricKey(data: captchaKey))))
    }

    /// What a request for a challenge gets.
    enum ChallengeAnswer {
        case issued(ProofOfWorkChallenge)
        /// Before `challengeLeadMs` ahead of the sale's start.
        case tooEarly
        /// This client, or every client together in this generation, has had its share.
        case refused(Problem)
    }

    /// A fresh challenge for `sale` (which asks for one at `difficulty`) for the client at `client`: refused before
    /// `challengeLeadMs` ahead of its start, past the sale's address rate (`challengeRateDefault` when it has none;
    /// counted apart from purchases), and past the generation's budget.
    func challenge(sale terms: SaleTerms, difficulty: Int, client: String, nowMs: Int64) -> ChallengeAnswer {
        guard nowMs >= terms.startsAtMs - Self.challengeLeadMs else { return .tooEarly }
        if case .refused(let retryAfterMs) = take(\.challenges, client, rules: terms.rules, sale: terms.id, nowMs: nowMs) {
            metrics.rateLimited(byAddress: true)
            return .refused(Self.rateLimited("this address", retryAfterMs: retryAfterMs))
        }
        if let retryAfterMs = challengeBudget.withLock({ $0.take(nowMs: nowMs) }) {
            return .refused(Self.rateLimited("every client: this unit's challenges for now are all out", retryAfterMs: retryAfterMs))
        }
        guard let challenge = makeChallenge(sale: terms, difficulty: difficulty, nowMs: nowMs) else {
            return .refused(Problem(.internalError, "the captcha key cannot sign"))
        }
        return .issued(challenge)
    }

    private func makeChallenge(sale terms: SaleTerms, difficulty: Int, nowMs: Int64) -> ProofOfWorkChallenge? {
        var generator = SystemRandomNumberGenerator()
        let salt = (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let maxNumber = ProofOfWorkIssuer.clampedMaxNumber(difficulty)
        return issuer(sale: terms.id, maxNumber: maxNumber)?.challenge(
            saltBytes: salt, secretNumber: Int.random(in: 0...maxNumber, using: &generator), maxNumber: maxNumber,
            expiresAtMs: nowMs + Self.challengeLifetimeMs)
    }

    private func checkCaptcha(_ payload: String?, sale: String, difficulty: Int, nowMs: Int64) -> Problem? {
        guard let payload, !payload.isEmpty else {
            return Problem(.captchaRequired, "solve GET /v1/sales/{sale}/challenge and send the answer in the 'Altcha' header")
        }
        guard let solution = ProofOfWorkSolution(payload: payload) else {
            return Problem(.captchaInvalid, "the 'Altcha' header is not a base64 JSON answer")
        }
        guard let issuer = issuer(sale: sale, maxNumber: ProofOfWorkIssuer.clampedMaxNumber(difficulty)) else {
            return Problem(.captchaInvalid, "the answer is malformed")
        }
        switch issuer.verify(solution, nowMs: nowMs) {
        case .valid(let expiresAtMs):
            let fresh = spent.withLock { $0.spend(signature: solution.signature, expiresAtMs: expiresAtMs, nowMs: nowMs) }
            return fresh ? nil : Problem(.captchaReused, "each solved challenge works once; get a new one")
        case .expired: return Problem(.captchaExpired, "get a new challenge")
        case .malformed: return Problem(.captchaInvalid, "the answer is malformed")
        case .badSignature:
            return Problem(.captchaInvalid, "the challenge was not issued by this unit for this sale at its difficulty")
        case .wrongAnswer: return Problem(.captchaInvalid, "the number does not solve the challenge")
        }
    }

    // MARK: Rate limits

    /// One attempt of `key` against the sale's per-address or per-user limiter (`\.addresses` or `\.users`); the
    /// limiters are made anew when the sale's rules change.
    private func take(
        _ limiter: WritableKeyPath<SaleLimiters, RateLimiter<String>?>, _ key: String, rules: AdmissionRules, sale: String,
        nowMs: Int64
    ) -> RateDecision {
        limiters.withLock { limiters in
            // Used where the dictionary stores them (`Dictionary.Values`' subscript by index, as `UnitMachine.withSale`):
            // through the subscript by key, the sale's limiters were copied, a retain and a release of each of their
            // parts, on every attempt.
            var index = limiters.index(forKey: sale)
            if index == nil {
                limiters[sale] = SaleLimiters(rules: rules)
                index = limiters.index(forKey: sale)
            }
            guard let index else { return .allowed }
            return limiters.values[index].take(limiter, key, rules: rules, atMs: nowMs)
        }
    }

    private static func rateLimited(_ who: String, retryAfterMs: Int64) -> Problem {
        Problem(
            .rateLimited, "too many attempts from \(who); try again later",
            retryAfterSeconds: Int(min((retryAfterMs + 999) / 1000, 86_400)))
    }
}

/// Who a purchase is for, once the filters know.
struct BuyerIdentity: Sendable {
    let user: String
    /// The verified token's claims; nil in a sale without tokens.
    let claims: BuyerClaims?
}
