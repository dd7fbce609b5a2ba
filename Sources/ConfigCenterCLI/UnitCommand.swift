// `config-center unit add|list|revoke`.

import ArgumentParser
import ConfigCenterClient
import FlashSaleAPI
import Foundation

struct UnitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unit", abstract: "Enrol, list or revoke units.",
        subcommands: [Add.self, List.self, Revoke.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Enrol a unit in a region (needs an admin credential), or change its URL or key.",
            discussion: """
                A unit's heartbeats and configuration requests are accepted only once it is enrolled with its public \
                key: `flashsale-unit key --data DIR` prints it (and makes the key when the unit has none yet).
                """)
        @OptionGroup var options: CenterOptions
        @Argument(help: "Unit id (a-z, 0-9, '-').") var id: String
        @Option(help: "Region of the unit.") var region: String
        @Option(help: "URL the unit serves at (buyers are sent there, and peers gossip with it).") var url: String?
        @Option(help: "The unit's public key (64 hex digits, from `flashsale-unit key --data DIR`).") var publicKey: String?

        func run() async throws {
            let unit = try await options.call { client throws(ConfigCenterClientError) in
                try await client.addUnit(UnitSpec(id: id, region: region, url: url, publicKey: publicKey))
            }
            try options.show(unit) {
                "unit \(unit.id) in region \(unit.region)" + (unit.publicKey == nil ? " (not enrolled: no public key yet)" : ", enrolled")
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Withdraw a unit's key (needs an admin credential): it is no member of the cluster any more.",
            discussion: """
                From the next configuration its heartbeats, configuration requests and gossip are refused everywhere. \
                The stock it held stays with it, unsold, until it is enrolled again with a new key (`unit add \
                --public-key`).
                """)
        @OptionGroup var options: CenterOptions
        @Argument(help: "Unit id.") var id: String

        func run() async throws {
            let unit = try await options.call { client throws(ConfigCenterClientError) in try await client.revokeUnitKey(id) }
            try options.show(unit) { "unit \(unit.id): key withdrawn; it is no member until enrolled again" }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List units with their last heartbeat.")
        @OptionGroup var options: CenterOptions

        func run() async throws {
            let units = try await options.call { client throws(ConfigCenterClientError) in try await client.units() }
            let now = Date()
            try options.show(units) {
                Table(
                    ["UNIT", "REGION", "URL", "KEY", "LAST SEEN"],
                    units.map {
                        [$0.id, $0.region, $0.url ?? "-", $0.publicKey.map { String($0.prefix(12)) + "…" } ?? "none", Table.age($0.lastSeen, now: now)]
                    }
                ).render()
            }
        }
    }
}
