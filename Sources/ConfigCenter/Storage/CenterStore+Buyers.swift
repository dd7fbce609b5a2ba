// Buyers at the config-center: the keys that sign their tokens, minting tokens, and the blacklist.

import FlashSaleAPI
import FlashSaleCore
import Foundation
import GRDB

extension CenterStore {
    /// Signing keys kept: the newest signs, the one before still verifies tokens minted just before a rotation.
    static let tokenKeysKept = 2
    /// Largest blacklist: it travels in every unit's configuration.
    public static let blacklistMax = 100_000

    // MARK: Token keys

    /// Makes the first signing key when there is none, so a new config-center can mint at once. A new cluster
    /// stays at version 0 (its first change carries the key to units); one upgraded from before keys existed
    /// moves to a new version so its running units learn the key.
    static func ensureTokenKey(nowMs: Int64, _ db: Database) throws {
        if try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM buyer_token_key") == 0 {
            try insertTokenKey(nowMs: nowMs, db)
            if try CenterQueries.configVersion(db) > 0 { _ = try CenterQueries.bumpVersion(db) }
        }
    }

    /// A new signing key; keys older than the previous one are dropped, and tokens they signed stop working.
    public func rotateTokenKey() async throws -> BuyerTokenKey {
        let now = nowMs()
        return try await write { db in
            let key = try Self.insertTokenKey(nowMs: now, db)
            try db.execute(
                sql: """
                    DELETE FROM buyer_token_key WHERE kid NOT IN
                        (SELECT kid FROM buyer_token_key ORDER BY created_ms DESC, kid DESC LIMIT ?)
                    """,
                arguments: [Self.tokenKeysKept])
            _ = try CenterQueries.bumpVersion(db)
            return key
        }
    }

    @discardableResult
    private static func insertTokenKey(nowMs: Int64, _ db: Database) throws -> BuyerTokenKey {
        // The kid orders keys by age and stays unique however fast rotations come.
        let newest = try Int64.fetchOne(db, sql: "SELECT MAX(created_ms) FROM buyer_token_key") ?? 0
        let created = max(nowMs, newest + 1)
        let key = BuyerTokenSigningKey.generate(kid: "k\(created)")
        try db.execute(
            sql: "INSERT INTO buyer_token_key (kid, private_key_pem, created_ms) VALUES (?, ?, ?)",
            arguments: [key.kid, key.privateKeyPEM, created])
        return key.publicKey
    }

    static func tokenKeys(_ db: Database) throws -> [BuyerTokenKey] {
        try signingKeys(db).map(\.publicKey)
    }

    private static func signingKeys(_ db: Database) throws -> [BuyerTokenSigningKey] {
        try Row.fetchAll(db, sql: "SELECT kid, private_key_pem FROM buyer_token_key ORDER BY created_ms DESC, kid DESC")
            .map { row in try BuyerTokenSigningKey(kid: row["kid"], privateKeyPEM: row["private_key_pem"]) }
    }

    /// A token for `request`, signed with the newest key.
    public func mintToken(_ request: TokenRequest) async throws -> TokenGrant {
        guard IdentifierRule.isValidUserID(request.user) else {
            throw CenterError.invalidInput("user must be 1-\(IdentifierRule.userIDMaxLength) printable characters, no spaces, quotes or slashes")
        }
        guard (0...EligibilityRules.minLevelMax).contains(request.level) else {
            throw CenterError.invalidInput("level must be 0-\(EligibilityRules.minLevelMax)")
        }
        let ttl = request.ttlSeconds ?? 3_600
        guard (1...TokenRequest.ttlSecondsMax).contains(ttl) else {
            throw CenterError.invalidInput("ttlSeconds must be 1-\(TokenRequest.ttlSecondsMax)")
        }
        let now = nowMs()
        guard request.accountCreatedAt.millisecondsSince1970 <= now else {
            throw CenterError.invalidInput("accountCreatedAt is in the future")
        }
        let key = try await pool.read { db in
            guard try CenterQueries.region(request.region, db) != nil else { throw CenterError.unknownRegion(request.region) }
            return try Self.signingKeys(db).first
        }
        guard let key else { throw CenterError.conflict("no signing key: restart the config-center to make one") }
        let issued = now / 1000
        let claims = BuyerClaims(
            userID: request.user, homeRegion: request.region, level: request.level,
            accountCreatedAtSeconds: request.accountCreatedAt.millisecondsSince1970 / 1000,
            expiresAtSeconds: issued + Int64(ttl), issuedAtSeconds: issued)
        return TokenGrant(
            token: try await key.mint(claims), kid: key.kid,
            expiresAt: Date(millisecondsSince1970: claims.expiresAtSeconds * 1000))
    }

    // MARK: The shop's identity provider

    /// Trusts `spec`'s identity provider from the next configuration on, in place of any before it: its tokens, signed
    /// by a key of its JWKS document, buy when they carry its `iss`, name `audience` and live no longer than allowed.
    /// Refused when no key of the document can be checked or a key id is also a minting key's.
    public func setTokenIssuer(_ spec: TokenIssuerSpec) async throws -> TokenIssuer {
        let settings: TokenIssuer
        switch spec.issuerSettings() {
        case .success(let made): settings = made
        case .failure(let problem): throw CenterError.invalidInput(problem.text)
        }
        var stored = settings
        stored.skippedKeys = nil
        let json = String(decoding: try WireJSON.encoder.encode(stored), as: UTF8.self)
        let now = nowMs()
        return try await write { db in
            let minting = Set(try Self.tokenKeys(db).map(\.kid))
            if let clash = settings.keys.first(where: { minting.contains($0.kid) || Self.isMintingKid($0.kid) }) {
                throw CenterError.conflict(
                    "key id '\(clash.kid)' is, or may become, a minting key's (k and digits): tokens could not say which key they mean")
            }
            try db.execute(
                sql: "INSERT OR REPLACE INTO token_issuer (id, settings_json, set_ms) VALUES (1, ?, ?)", arguments: [json, now])
            _ = try CenterQueries.bumpVersion(db)
            return settings
        }
    }

    /// Whether `kid` has the shape of a minting key's id (`k` and the milliseconds it was made): a provider's key of
    /// that shape could clash with a key a later rotation makes.
    static func isMintingKid(_ kid: String) -> Bool {
        kid.count > 1 && kid.first == "k" && kid.dropFirst().allSatisfy { $0.isASCII && $0.isNumber }
    }

    /// The identity provider trusted now, or nil.
    public func tokenIssuer() async throws -> TokenIssuer? { try await pool.read(Self.tokenIssuer) }

    static func tokenIssuer(_ db: Database) throws -> TokenIssuer? {
        guard let json = try String.fetchOne(db, sql: "SELECT settings_json FROM token_issuer WHERE id = 1") else { return nil }
        return try WireJSON.decoder.decode(TokenIssuer.self, from: Data(json.utf8))
    }

    /// Stops trusting the identity provider: from the next configuration on, only minted tokens buy. Returns the one
    /// that was trusted (nil: none was, and nothing changed).
    public func clearTokenIssuer() async throws -> TokenIssuer? {
        try await write { db in
            guard let previous = try Self.tokenIssuer(db) else { return nil }
            try db.execute(sql: "DELETE FROM token_issuer")
            _ = try CenterQueries.bumpVersion(db)
            return previous
        }
    }

    // MARK: Blacklist

    public func blacklist() async throws -> [String] { try await pool.read(Self.blacklist) }

    static func blacklist(_ db: Database) throws -> [String] {
        try String.fetchAll(db, sql: "SELECT user_id FROM blacklist ORDER BY user_id")
    }

    /// Refuses `user` in every sale from the next configuration on. Adding a listed user changes nothing.
    public func addToBlacklist(_ user: String) async throws -> [String] {
        guard IdentifierRule.isValidUserID(user) else { throw CenterError.invalidInput("not a valid user id: '\(user)'") }
        let now = nowMs()
        return try await write { db in
            guard try String.fetchOne(db, sql: "SELECT user_id FROM blacklist WHERE user_id = ?", arguments: [user]) == nil
            else { return try Self.blacklist(db) }
            guard try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM blacklist") ?? 0 < Self.blacklistMax else {
                throw CenterError.conflict("the blacklist is full (\(Self.blacklistMax) users)")
            }
            try db.execute(sql: "INSERT INTO blacklist (user_id, added_ms) VALUES (?, ?)", arguments: [user, now])
            _ = try CenterQueries.bumpVersion(db)
            return try Self.blacklist(db)
        }
    }

    /// Lets `user` buy again. Removing an unlisted user changes nothing.
    public func removeFromBlacklist(_ user: String) async throws -> [String] {
        try await write { db in
            try db.execute(sql: "DELETE FROM blacklist WHERE user_id = ?", arguments: [user])
            if db.changesCount > 0 { _ = try CenterQueries.bumpVersion(db) }
            return try Self.blacklist(db)
        }
    }
}
