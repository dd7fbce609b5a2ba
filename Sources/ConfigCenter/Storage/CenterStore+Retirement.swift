// Retiring silent owners of open sales: read what is due, then write it in one transaction that raises the version.

import FlashSaleCore
import GRDB

extension CenterStore {
    /// Retires, in each region of each sale under way, the owner `rule` names (`RetirementPass`), given since when
    /// the config-center has been awake (`awakeSinceMs`, monotonic). Nothing to retire (the usual case, four times a
    /// second) costs one read and no write, so the configuration's rendering and the status streams are left alone.
    /// Otherwise the pass runs again in the write transaction, on the state and the reports as they are then, and its
    /// retirements are written together and raise the version once: units long-polling the configuration learn them
    /// at once. Returns the retirements written.
    func retireSilentOwners(rule: RetirementRule, awakeSinceMs: Int64) async throws -> [RetirementPass.Retirement] {
        let pass = { @Sendable (wallNowMs: Int64) in
            RetirementPass(
                rule: rule, heard: self.heard.snapshot(), awakeSinceMs: awakeSinceMs, nowMs: self.monotonicMs(),
                wallNowMs: wallNowMs)
        }
        let wallNow = nowMs()
        guard try await !pool.read({ db in pass(wallNow).retirements(try Self.custodyOfSales(db)) }).isEmpty else {
            return []
        }
        return try await write { db in
            let due = pass(wallNow).retirements(try Self.custodyOfSales(db))
            for retirement in due {
                try SaleRetired.insert(
                    sale: retirement.sale, region: retirement.region, unit: retirement.unit.rawValue,
                    position: retirement.position, atMs: wallNow, db)
            }
            if !due.isEmpty { _ = try CenterQueries.bumpVersion(db) }
            return due
        }
    }

    /// Every sale's terms, owners and units retired.
    private static func custodyOfSales(_ db: Database) throws -> [RetirementPass.Sale] {
        let owners = try SaleOwners.all(db)
        let retired = try SaleRetired.all(db)
        return try CenterQueries.allSaleTerms(db).map { terms in
            RetirementPass.Sale(terms: terms, owners: owners[terms.id] ?? [:], retired: retired[terms.id] ?? [:])
        }
    }
}
