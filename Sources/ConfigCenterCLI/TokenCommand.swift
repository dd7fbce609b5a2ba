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

        func run() async throws {
            guard (0...36_500).contains(accountAgeDays) else {
                throw ValidationError("--account-age-days must be 0-36500")
            }
            let created = Date().addingTimeInterval(-Double(accountAgeDays) * 86_400)
            let grant = try await options.call { client throws(ConfigCenterClientError) in
                try await client.mintToken(
                    TokenRequest(user: user, region: region, level: level, accountCreatedAt: created, ttlSeconds: ttl))
            }
            try options.show(grant) { grant.token }
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
