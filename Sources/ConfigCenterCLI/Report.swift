// `config-center report SALE`: the final account of a sale per unit and region.

import ArgumentParser
import ConfigCenterClient
import FlashSaleAPI

struct Report: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The account of a sale: minted, sold per unit and region, returned, still at units; conserved or not.")
    @OptionGroup var options: CenterOptions
    @Argument(help: "Sale id.") var sale: String

    func run() async throws {
        let status = try await options.call { client throws(ConfigCenterClientError) in try await client.status(sale: sale) }
        try options.show(status) { SaleReport(status).render() }
    }
}

/// The sums of a sale's account, from the config-center's view of every unit's ledger row.
struct SaleReport {
    let status: SaleStatus

    init(_ status: SaleStatus) { self.status = status }

    var atUnits: Int64 { status.units.reduce(0) { $0 + $1.rightsHeld } }
    var neverAllocated: Int64 { status.atCenter - status.returned }
    /// Every unit of stock is sold, returned, still at a unit, or was never allocated, and no node is below zero.
    var conserved: Bool {
        status.sold + status.returned + atUnits + neverAllocated == status.minted
            && status.units.allSatisfy { $0.rightsHeld >= 0 } && neverAllocated >= 0
    }

    func render() -> String {
        var lines = [
            "sale \(status.sale) \"\(status.title)\"  \(status.state)",
            "minted \(status.minted) = sold \(status.sold) + returned \(status.returned) + still at units \(atUnits)"
                + " + never allocated \(neverAllocated)",
            "conserved: \(conserved ? "yes" : "NO")\(status.state == "ended" && atUnits > 0 ? "  (units are still returning \(atUnits))" : "")",
            "",
        ]
        let regions = Dictionary(grouping: status.units, by: \.region)
        lines.append(
            Table(
                ["REGION", "SOLD", "RETURNED", "AT UNITS"],
                regions.keys.sorted().map { region in
                    let units = regions[region] ?? []
                    return [
                        region, "\(units.reduce(0) { $0 + $1.orders })", "\(units.reduce(0) { $0 + $1.returned })",
                        "\(units.reduce(0) { $0 + $1.rightsHeld })",
                    ]
                }
            ).render())
        lines.append("")
        lines.append(
            Table(
                ["UNIT", "REGION", "ALLOCATED", "FROM UNITS", "TO UNITS", "SOLD", "RETURNED", "AT UNIT"],
                status.units.map {
                    [
                        $0.unit, $0.region, "\($0.allocated)", "\($0.receivedFromUnits)", "\($0.givenToUnits)", "\($0.orders)",
                        "\($0.returned)", "\($0.rightsHeld)",
                    ]
                }
            ).render())
        return lines.joined(separator: "\n")
    }
}
