// `config-center blacklist add|remove|list`: users refused by every sale, pushed to units with the configuration.

import ArgumentParser
import ConfigCenterClient
import FlashSaleAPI

struct BlacklistCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "blacklist", abstract: "Refuse users in every sale, or let them buy again.",
        subcommands: [Add.self, Remove.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Refuse a user in every sale.")
        @OptionGroup var options: CenterOptions
        @Argument(help: "User id.") var user: String

        func run() async throws {
            let list = try await options.call { client throws(ConfigCenterClientError) in try await client.addToBlacklist(user) }
            try options.show(list) { "\(user) is refused in every sale (\(list.count) blacklisted)" }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Let a blacklisted user buy again.")
        @OptionGroup var options: CenterOptions
        @Argument(help: "User id.") var user: String

        func run() async throws {
            let list = try await options.call { client throws(ConfigCenterClientError) in
                try await client.removeFromBlacklist(user)
            }
            try options.show(list) { "\(user) may buy again (\(list.count) blacklisted)" }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List blacklisted users.")
        @OptionGroup var options: CenterOptions

        func run() async throws {
            let list = try await options.call { client throws(ConfigCenterClientError) in try await client.blacklist() }
            try options.show(list) { list.isEmpty ? "nobody is blacklisted" : list.joined(separator: "\n") }
        }
    }
}
