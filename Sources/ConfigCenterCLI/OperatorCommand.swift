// `config-center operator add|list|remove`: the people (and scripts) that may manage the cluster, by role.

import ArgumentParser
import ConfigCenterClient
import FlashSaleAPI
import Foundation

extension OperatorRole: ExpressibleByArgument {}

struct OperatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "operator", abstract: "Add, list or remove operators (needs an admin credential).",
        discussion: """
            Roles: viewer (status, report, dashboard, lists), operator (sales, allocation, restock, pause, resume, \
            stop, blacklist, sale files), admin (operators, regions and units, buyer-token keys and minting).
            """,
        subcommands: [Add.self, List.self, Remove.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add an operator and print its credential (shown once; the config-center keeps only a hash).")
        @OptionGroup var options: CenterOptions
        @Argument(help: "Operator name (a-z, 0-9, '-').") var name: String
        @Option(help: "viewer, operator or admin.") var role: OperatorRole

        func run() async throws {
            let grant = try await options.call { client throws(ConfigCenterClientError) in
                try await client.addOperator(OperatorSpec(name: name, role: role))
            }
            try options.show(grant) { grant.credential }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List operators and their roles.")
        @OptionGroup var options: CenterOptions

        func run() async throws {
            let operators = try await options.call { client throws(ConfigCenterClientError) in try await client.operators() }
            try options.show(operators) {
                Table(["OPERATOR", "ROLE", "CREATED"], operators.map { [$0.name, $0.role.rawValue, Table.time($0.createdAt)] })
                    .render()
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove an operator: its credential stops working at once (the last admin stays).")
        @OptionGroup var options: CenterOptions
        @Argument(help: "Operator name.") var name: String

        func run() async throws {
            let operators = try await options.call { client throws(ConfigCenterClientError) in
                try await client.removeOperator(name)
            }
            try options.show(operators) { "removed \(name); \(operators.count) operator(s) left" }
        }
    }
}
