// `config-center token mint|rotate|issuer`: buyer tokens for tests and rehearsals, signing-key rotation, and the
// shop's identity provider whose tokens units trust.

import ArgumentParser
import ConfigCenterClient
import FlashSaleAPI
import Foundation

struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Mint buyer tokens, rotate the key that signs them, or trust the shop's identity provider.",
        subcommands: [Mint.self, Rotate.self, Issuer.self])

    struct Mint: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Mint a buyer token signed by the config-center (prints the token).")
        @OptionGroup var options: CenterOptions
        @Option(help: "User id (the token's sub).") var user: String
        @Option(help: "The user's home region.") var region: String
        @Option(help: "Membership level.") var level: Int = 0
        @Option(help: "Age of the user's account in days.") var accountAgeDays: Int = 365
        @Option(help: "Lifetime of the token in seconds.") var ttl: Int = 3_600
        @Option(help: "Mint tokens for COUNT users named <user>-1 ... <user>-COUNT, one per line (for rehearsals).")
        var count: Int?

        /// Most tokens one command mints.
        static let countMax = 1_000_000

        func run() async throws {
            guard (0...36_500).contains(accountAgeDays) else {
                throw ValidationError("--account-age-days must be 0-36500")
            }
            if let count, !(1...Self.countMax).contains(count) {
                throw ValidationError("--count must be 1-\(Self.countMax)")
            }
            let created = Date().addingTimeInterval(-Double(accountAgeDays) * 86_400)
            let users = count.map { count in (1...count).map { "\(user)-\($0)" } } ?? [user]
            let grants = try await options.call { client throws(ConfigCenterClientError) in
                var grants: [TokenGrant] = []
                grants.reserveCapacity(users.count)
                for name in users {
                    grants.append(try await client.mintToken(
                        TokenRequest(user: name, region: region, level: level, accountCreatedAt: created, ttlSeconds: ttl)))
                }
                return grants
            }
            if count == nil, let grant = grants.first {
                try options.show(grant) { grant.token }
            } else {
                try options.show(grants) { grants.map(\.token).joined(separator: "\n") }
            }
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start signing with a new key; the previous key still verifies, older ones are dropped.")
        @OptionGroup var options: CenterOptions

        func run() async throws {
            let key = try await options.call { client throws(ConfigCenterClientError) in try await client.rotateTokenKey() }
            try options.show(key) { "now signing with key \(key.kid); units follow with the next configuration" }
        }
    }

    /// `token issuer set|show|clear`: the shop's identity provider, whose tokens buy besides minted ones.
    struct Issuer: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Trust the shop's identity provider: its tokens buy when they carry its iss, name the audience and are short-lived.",
            subcommands: [SetIssuer.self, Show.self, Clear.self])

        struct SetIssuer: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "set",
                abstract: "Trust an identity provider's keys (its JWKS document, as its jwks_uri serves it), replacing any before.",
                discussion: """
                    Units take its tokens from the next configuration on: ES256, signed by a P-256 key of the document, \
                    with iss = --issuer, aud naming --audience, exp - iat at most --max-lifetime-seconds, and the claims \
                    sub, region, level, acct, iat and exp. Run it again with the provider's new document when it rotates \
                    its keys. Keys the document holds that units cannot check (RSA, encryption keys) are named and left out.
                    """)
            @OptionGroup var options: CenterOptions
            @Option(help: "The provider's name as its tokens carry it in iss (usually its URL).") var issuer: String
            @Option(help: "The aud its tokens for this cluster carry.") var audience: String
            @Option(help: "File holding the provider's JWKS document (JSON: {\"keys\": [...]}).") var jwks: String
            @Option(help: "Longest lifetime (exp - iat) of a token, in seconds (30-86400).")
            var maxLifetimeSeconds: Int64 = TokenIssuer.defaultMaxLifetimeSeconds

            func run() async throws {
                let document: JWKSDocument
                do {
                    let data = try Data(contentsOf: URL(fileURLWithPath: jwks))
                    guard data.count <= 1 << 20 else { throw ValidationError("larger than 1 MiB") }
                    document = try WireJSON.decoder.decode(JWKSDocument.self, from: data)
                } catch {
                    printError("cannot read the JWKS document \(jwks): \(error)")
                    throw ExitCodes.badFile
                }
                let spec = TokenIssuerSpec(issuer: issuer, audience: audience, maxLifetimeSeconds: maxLifetimeSeconds, jwks: document)
                let set = try await options.call { client throws(ConfigCenterClientError) in try await client.setTokenIssuer(spec) }
                try options.show(set) {
                    var lines = ["trusting \(set.issuer) for audience \(set.audience): keys \(set.keys.map(\.kid).joined(separator: ", ")), tokens of at most \(set.maxLifetimeSeconds) s; units follow with the next configuration"]
                    for skipped in set.skippedKeys ?? [] { lines.append("left out: \(skipped)") }
                    return lines.joined(separator: "\n")
                }
            }
        }

        struct Show: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "The identity provider trusted now.")
            @OptionGroup var options: CenterOptions

            func run() async throws {
                let issuer = try await options.call { client throws(ConfigCenterClientError) in try await client.tokenIssuer() }
                try options.show(issuer) {
                    "\(issuer.issuer) for audience \(issuer.audience): keys \(issuer.keys.map(\.kid).joined(separator: ", ")), tokens of at most \(issuer.maxLifetimeSeconds) s"
                }
            }
        }

        struct Clear: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Stop trusting the identity provider: only minted tokens buy.")
            @OptionGroup var options: CenterOptions

            func run() async throws {
                let issuer = try await options.call { client throws(ConfigCenterClientError) in try await client.clearTokenIssuer() }
                try options.show(issuer) { "no longer trusting \(issuer.issuer); units follow with the next configuration" }
            }
        }
    }
}
