// `config-center token mint|rotate`: buyer tokens for tests and rehearsals, and signing-key rotation.

import ArgumentParser
import ConfigCenterClient
import FlashSaleAPI
import Foundation

struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Mint buyer tokens or rotate the key that signs them.",
        subcommands: [Mint.self, Rotate.self])

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
}
