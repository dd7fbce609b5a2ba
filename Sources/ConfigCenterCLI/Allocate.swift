// `config-center allocate SALE region=N ...` and `config-center restock SALE N`.

import ArgumentParser
import ConfigCenterClient
import FlashSaleAPI

struct Allocate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Grant a sale's stock to regions, split evenly over each region's units.",
        discussion: """
            Give counts (eu-west=300 us-east=200) or percentages of the stock still at the config-center \
            (eu-west=50% us-east=30%), not both. Allocations add to what regions already hold.
            """)
    @OptionGroup var options: CenterOptions
    @Argument(help: "Sale id.") var sale: String
    @Argument(help: "region=count or region=percent%.") var shares: [String]

    func run() async throws {
        let spec = try Self.parse(shares)
        let status = try await options.call { client throws(ConfigCenterClientError) in
            try await client.allocate(sale: sale, spec)
        }
        try options.show(status) { StatusTable.render(status) }
    }

    static func parse(_ shares: [String]) throws -> AllocationSpec {
        guard !shares.isEmpty else { throw ValidationError("name at least one region=amount") }
        var counts: [String: Int64] = [:]
        var percentages: [String: Int] = [:]
        for share in shares {
            let parts = share.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty else { throw ValidationError("'\(share)' is not region=amount") }
            let (region, amount) = (parts[0], parts[1])
            guard counts[region] == nil, percentages[region] == nil else {
                throw ValidationError("region '\(region)' is given twice")
            }
            if amount.hasSuffix("%") {
                guard let percent = Int(amount.dropLast()), (0...100).contains(percent) else {
                    throw ValidationError("'\(share)': a percentage is 0-100%")
                }
                percentages[region] = percent
            } else {
                guard let count = Int64(amount), count >= 0 else {
                    throw ValidationError("'\(share)': a count is a whole number >= 0")
                }
                counts[region] = count
            }
        }
        if !counts.isEmpty && !percentages.isEmpty { throw ValidationError("give counts or percentages, not both") }
        return counts.isEmpty ? AllocationSpec(percentages: percentages) : AllocationSpec(counts: counts)
    }
}

struct Restock: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Mint more stock for a sale at the config-center.")
    @OptionGroup var options: CenterOptions
    @Argument(help: "Sale id.") var sale: String
    @Argument(help: "Units of stock to add.") var amount: Int64

    func run() async throws {
        let status = try await options.call { client throws(ConfigCenterClientError) in
            try await client.restock(sale: sale, RestockSpec(amount: amount))
        }
        try options.show(status) { StatusTable.render(status) }
    }
}

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show a sale per unit: allocated, rights held, sold, orders.")
    @OptionGroup var options: CenterOptions
    @Argument(help: "Sale id.") var sale: String

    func run() async throws { try await Self.show(sale: sale, options: options) }

    static func show(sale: String, options: CenterOptions) async throws {
        let status = try await options.call { client throws(ConfigCenterClientError) in try await client.status(sale: sale) }
        try options.show(status) { StatusTable.render(status) }
    }
}
