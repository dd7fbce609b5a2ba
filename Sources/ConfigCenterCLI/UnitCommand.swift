// `config-center unit add|list`.

import ArgumentParser
import ConfigCenterClient
import FlashSaleAPI
import Foundation

struct UnitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unit", abstract: "Add or list units (units also register themselves).",
        subcommands: [Add.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Declare a unit in a region.")
        @OptionGroup var options: CenterOptions
        @Argument(help: "Unit id (a-z, 0-9, '-').") var id: String
        @Option(help: "Region of the unit.") var region: String
        @Option(help: "URL the unit serves at.") var url: String?

        func run() async throws {
            let unit = try await options.call { client throws(ConfigCenterClientError) in
                try await client.addUnit(UnitSpec(id: id, region: region, url: url))
            }
            try options.show(unit) { "unit \(unit.id) ready in region \(unit.region)" }
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
                    ["UNIT", "REGION", "URL", "LAST SEEN"],
                    units.map { [$0.id, $0.region, $0.url ?? "-", Table.age($0.lastSeen, now: now)] }
                ).render()
            }
        }
    }
}
