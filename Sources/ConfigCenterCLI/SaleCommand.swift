// `config-center sale create|list|status|pause|resume|stop`.

import ArgumentParser
import ConfigCenterClient
import FlashSaleAPI
import FlashSaleCore
import Foundation

struct SaleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sale", abstract: "Create, list, pause, resume or stop sales.",
        subcommands: [Create.self, List.self, Status.self, Pause.self, Resume.self, Stop.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a sale and mint its stock at the config-center (allocate it next).")
        @OptionGroup var options: CenterOptions
        @Argument(help: "Sale id (a-z, 0-9, '-').") var id: String
        @Option(help: "Title shown to buyers.") var title: String
        @Option(help: "Units of stock.") var stock: Int64
        @Option(help: "Start: ISO 8601 (2026-11-25T12:00:00Z), 'now', or from now ('+10m', '+2h', '+30s', '+1d').")
        var startsAt: String = "now"
        @Option(help: "End, in the same forms as --starts-at.") var endsAt: String = "+1h"
        @Option(help: "Orders one buyer may hold.") var perUserLimit: Int = 1
        @Flag(help: "Buyers must present a token signed by the config-center (see `token mint`).")
        var requireToken = false
        @Option(help: "Attempts per user: PER_MINUTE or PER_MINUTE/BURST, e.g. 100/10.") var userRate: String?
        @Option(help: "Attempts per client address: PER_MINUTE or PER_MINUTE/BURST.") var ipRate: String?
        @Option(help: "Proof-of-work difficulty (the challenge's maxnumber, 1000-10000000); none by default.")
        var captchaDifficulty: Int?
        @Option(help: "Lowest buyer level allowed (needs --require-token).") var minLevel: Int?
        @Option(help: "Youngest account allowed, in days (needs --require-token).") var minAccountAgeDays: Int?
        @Option(help: "Seconds a buyer has to pay a reserved order before it expires (default 900).")
        var paymentWindowSeconds: Int?

        func run() async throws {
            let now = Date()
            let eligibility = minLevel == nil && minAccountAgeDays == nil
                ? nil : EligibilityRules(minLevel: minLevel, minAccountAgeSeconds: minAccountAgeDays.map { Int64($0) * 86_400 })
            let admission = AdmissionRules(
                requireToken: requireToken, userRate: try userRate.map { try RateOption.parse($0, option: "--user-rate") },
                ipRate: try ipRate.map { try RateOption.parse($0, option: "--ip-rate") }, captchaDifficulty: captchaDifficulty,
                eligibility: eligibility)
            let spec = SaleSpec(
                id: id, title: title, stock: stock, startsAt: try TimeSpec.parse(startsAt, now: now, option: "--starts-at"),
                endsAt: try TimeSpec.parse(endsAt, now: now, option: "--ends-at"), perUserLimit: perUserLimit,
                admission: admission == .open ? nil : admission, paymentWindowSeconds: paymentWindowSeconds)
            let status = try await options.call { client throws(ConfigCenterClientError) in try await client.createSale(spec) }
            try options.show(status) { "sale \(status.sale) created with \(status.minted) stock; allocate it next" }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List sales.")
        @OptionGroup var options: CenterOptions

        func run() async throws {
            let sales = try await options.call { client throws(ConfigCenterClientError) in try await client.sales() }
            try options.show(sales) {
                Table(
                    ["SALE", "STATE", "STOCK", "AT CENTER", "SOLD", "STARTS", "ENDS", "TITLE"],
                    sales.map {
                        [
                            $0.sale, $0.state, "\($0.minted)", "\($0.atCenter)", "\($0.sold)", Table.time($0.startsAt),
                            Table.time($0.endsAt), $0.title,
                        ]
                    }
                ).render()
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Same as `config-center status SALE`.")
        @OptionGroup var options: CenterOptions
        @Argument(help: "Sale id.") var sale: String

        func run() async throws { try await ConfigCenterCLI.Status.show(sale: sale, options: options) }
    }

    struct Pause: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop selling for now: units answer 503 sale-paused until `resume`.")
        @OptionGroup var options: CenterOptions
        @Argument(help: "Sale id.") var sale: String

        func run() async throws { try await change(sale, "pause", options) { "sale \($0.sale) is \($0.state)" } }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Sell again after a pause.")
        @OptionGroup var options: CenterOptions
        @Argument(help: "Sale id.") var sale: String

        func run() async throws { try await change(sale, "resume", options) { "sale \($0.sale) is \($0.state)" } }
    }

    struct Stop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "End the sale now: units stop selling and return what they hold (see `report`).")
        @OptionGroup var options: CenterOptions
        @Argument(help: "Sale id.") var sale: String

        func run() async throws {
            try await change(sale, "stop", options) { "sale \($0.sale) is \($0.state); `report \($0.sale)` shows the account" }
        }
    }

    static func change(
        _ sale: String, _ verb: String, _ options: CenterOptions, _ text: (SaleStatus) -> String
    ) async throws {
        let status = try await options.call { client throws(ConfigCenterClientError) in try await client.changeSale(sale, verb) }
        try options.show(status) { text(status) }
    }
}
