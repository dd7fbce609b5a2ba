// The unit's heartbeat to the config-center: registration, liveness and its own ledger rows.

import ConfigCenterClient
import FlashSaleAPI
import FlashSaleCore
import Logging
import ServiceLifecycle

/// Reports to the config-center at a fixed interval. The first report registers the unit in its region.
/// Reports carry only counters already in SQLite; a failed report is simply sent again at the next tick.
final class Reporter: Service, Sendable {
    private let client: ConfigCenterClient
    private let desk: PurchaseDesk
    private let store: UnitStore
    private let granter: RightsGranter
    private let nowMs: @Sendable () -> Int64
    private let follower: ConfigFollower
    private let region: String
    private let url: String
    private let interval: Duration
    private let logger: Logger

    init(client: ConfigCenterClient, desk: PurchaseDesk, store: UnitStore, granter: RightsGranter, follower: ConfigFollower, region: String, url: String, interval: Duration, nowMs: @escaping @Sendable () -> Int64, logger: Logger) {
        self.client = client
        self.desk = desk
        self.store = store
        self.granter = granter
        self.nowMs = nowMs
        self.follower = follower
        self.region = region
        self.url = url
        self.interval = interval
        self.logger = logger
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var failing = false
            while !Task.isCancelled {
                await self.granter.returnUnsold(nowMs: self.nowMs())
                do {
                    var report = UnitReport(
                        unit: self.desk.unit.rawValue, region: self.region, url: self.url,
                        configVersion: self.follower.version, sales: [:])
                    (report.sales, report.knownRows, report.knownSignatures) = try await self.durableRows()
                    let now = self.nowMs()
                    report.pulses = Dictionary(
                        uniqueKeysWithValues: report.sales.keys.compactMap { sale in
                            self.desk.pulse(sale: sale, nowMs: now).map { (sale, $0) }
                        })
                    report.custody = self.desk.custodyStatus()
                    try await self.client.report(report)
                    failing = false
                } catch ConfigCenterClientError.refused(let problem) {
                    // Refusals (an unknown region, say) need the operator: say so each time.
                    self.logger.error("config-center refused this unit's report", metadata: ["problem": "\(problem.code.rawValue): \(problem.detail ?? "")"])
                } catch {
                    if !failing { self.logger.warning("cannot report to the config-center", metadata: ["error": "\(error)"]) }
                    failing = true
                }
                try? await Task.sleep(for: self.interval)
            }
        }
    }

    /// The unit's own row per sale as SQLite has it, and the other units' rows it has learned (so the
    /// config-center can account for grants between units even before the giver reports: without them, two units
    /// that gave each other stock could each look over-granted until the other reported, and neither would).
    private func durableRows() async throws -> (
        [String: LedgerRow], [String: [NodeID: LedgerRow]], [String: [NodeID: String]]
    ) {
        let unit = desk.unit
        let sales = desk.saleTerms().map(\.id)
        var own: [String: LedgerRow] = [:]
        var known: [String: [NodeID: LedgerRow]] = [:]
        var signatures: [String: [NodeID: String]] = [:]
        for rows in try await store.rowsToTell(sales: sales, unit: unit) {
            own[rows.sale] = rows.own
            let copies = rows.copies.filter { $0.key != unit && $0.key != .center }
            known[rows.sale] = copies.mapValues(\.row)
            signatures[rows.sale] = copies.mapValues(\.signature)
        }
        return (own, known, signatures)
    }
}
