// `config-center region add|list`.

import ArgumentParser
import ConfigCenterClient
import FlashSaleAPI

struct RegionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "region", abstract: "Add or list regions.", subcommands: [Add.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a region (or change its endpoint).")
        @OptionGroup var options: CenterOptions
        @Argument(help: "Region id (a-z, 0-9, '-').") var id: String
        @Option(help: "Regional endpoint buyers are sent to.") var endpoint: String?

        func run() async throws {
            let region = try await options.call { client throws(ConfigCenterClientError) in
                try await client.addRegion(RegionSpec(id: id, endpoint: endpoint))
            }
            try options.show(region) { "region \(region.id) ready" }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List regions.")
        @OptionGroup var options: CenterOptions

        func run() async throws {
            let regions = try await options.call { client throws(ConfigCenterClientError) in try await client.regions() }
            // The table also names each region's units; --json stays the config-center's list of regions.
            var units: [UnitSpec] = []
            if !options.json {
                units = try await options.call { client throws(ConfigCenterClientError) in try await client.units() }
            }
            try options.show(regions) { List.table(regions, units: units) }
        }

        /// One line per region: its units, and where its buyers go. A region without a declared endpoint (no load
        /// balancer in front of it, as in the local cluster) is served at its units' own URLs: buyers may ask any of
        /// them, and a `421 wrong-unit` names the one that owns the buyer. Those URLs are shown then, marked so.
        static func table(_ regions: [RegionSpec], units: [UnitSpec]) -> String {
            let byRegion = Dictionary(grouping: units.sorted { $0.id < $1.id }, by: \.region)
            return Table(["REGION", "UNITS", "ENDPOINT"], regions.map { region in
                let members = byRegion[region.id] ?? []
                let urls = members.compactMap(\.url)
                let endpoint: String
                if let declared = region.endpoint {
                    endpoint = declared
                } else if urls.isEmpty {
                    endpoint = "-"
                } else {
                    let whose = urls.count == 1 ? "its unit's URL" : "its units' URLs"
                    endpoint = urls.joined(separator: " ") + " (\(whose): no endpoint declared)"
                }
                return [region.id, members.isEmpty ? "-" : members.map(\.id).joined(separator: " "), endpoint]
            }).render()
        }
    }
}
