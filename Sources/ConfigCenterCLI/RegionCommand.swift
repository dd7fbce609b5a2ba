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
            try options.show(regions) {
                Table(["REGION", "ENDPOINT"], regions.map { [$0.id, $0.endpoint ?? "-"] }).render()
            }
        }
    }
}
