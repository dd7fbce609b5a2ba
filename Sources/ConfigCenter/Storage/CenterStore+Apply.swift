// `apply`: a declarative cluster file brought into effect in one transaction.

import FlashSaleAPI
import FlashSaleCore
import FlashSaleStorage
import GRDB

extension CenterStore {
    /// Makes the cluster match `document`: regions and units created or updated, sales created or updated,
    /// stock raised to the declared amount, and each region's allocation topped up to its declared total.
    /// All or nothing; applying the same file twice changes nothing the second time. Rights are never taken
    /// back, so a declared stock or allocation below what exists is refused.
    public func apply(_ document: ClusterDocument) async throws -> ApplyResult {
        for (what, count) in [("regions", document.regions?.count), ("units", document.units?.count), ("sales", document.sales?.count)] {
            guard (count ?? 0) <= ClusterDocument.entriesMax else {
                throw CenterError.invalidInput("a document declares at most \(ClusterDocument.entriesMax) \(what)")
            }
        }
        for region in document.regions ?? [] { try Self.validate(region) }
        for unit in document.units ?? [] { try Self.validate(unit) }
        for declared in document.sales ?? [] {
            _ = try Self.terms(of: declared.sale)
            try Self.validateStock(declared.sale.stock)
            if let allocation = declared.allocation { _ = try Self.request(of: allocation) }
        }
        let now = nowMs()
        return try await write { db in
            var changes: [String] = []
            for region in document.regions ?? [] where try CenterQueries.upsertRegion(region, db) {
                changes.append("region \(region.id): set")
            }
            for unit in document.units ?? [] where try Self.upsertUnit(unit, db) {
                changes.append("unit \(unit.id): set in region \(unit.region)")
            }
            for declared in document.sales ?? [] {
                changes += try Self.apply(declared, nowMs: now, db)
            }
            return ApplyResult(version: try CenterQueries.configVersion(db), changes: changes)
        }
    }

    private static func apply(_ declared: DeclaredSale, nowMs: Int64, _ db: Database) throws -> [String] {
        let spec = declared.sale
        var terms = try Self.terms(of: spec)
        var changes: [String] = []
        if let existing = try CenterQueries.saleTerms(spec.id, db) {
            // A relative window is set once; an ended (or stopped) sale keeps its window, so a file applied again
            // cannot reopen it; a pause is the operator's, not the file's.
            if declared.keepExistingWindow == true || existing.phase(atMs: nowMs) == .ended {
                terms.startsAtMs = existing.startsAtMs
                terms.endsAtMs = existing.endsAtMs
            }
            terms.paused = existing.paused
            if terms != existing {
                try CenterQueries.writeTerms(terms, db)
                _ = try CenterQueries.bumpVersion(db)
                changes.append("sale \(spec.id): terms updated")
            }
        } else {
            try CenterQueries.writeTerms(terms, db)
            _ = try CenterQueries.bumpVersion(db)
            changes.append("sale \(spec.id): created")
        }
        let minted = try LedgerTables.load(saleID: spec.id, db).row(.center).minted
        if spec.stock < minted {
            throw CenterError.conflict("sale '\(spec.id)' already has \(minted) stock; stock is never taken back")
        }
        if spec.stock > minted {
            try requireNotEnded(terms, nowMs: nowMs)
            try LedgerTables.merge(LedgerRow(minted: spec.stock), of: .center, saleID: spec.id, db)
            _ = try CenterQueries.bumpVersion(db)
            changes.append(minted == 0 ? "sale \(spec.id): \(spec.stock) stock minted" : "sale \(spec.id): restocked by \(spec.stock - minted)")
        }
        guard let allocation = declared.allocation else { return changes }
        let ledger = try LedgerTables.load(saleID: spec.id, db)
        let unitsByRegion = try CenterQueries.unitsByRegion(db)
        let planner = AllocationPlanner(unitsByRegion: unitsByRegion)
        let center = ledger.row(.center)
        var current: [String: Int64] = [:]
        for (region, units) in unitsByRegion {
            current[region] = units.reduce(0) { $0 + (center.grantedTo[$1] ?? 0) }
        }
        let grants: [NodeID: Int64]
        let request = try Self.request(of: allocation)
        do throws(AllocationError) {
            let targets = try planner.regionAmounts(for: request, available: spec.stock)
            grants = try planner.topUp(to: targets, current: current)
        } catch {
            throw CenterError.allocation(error)
        }
        guard let total = AllocationPlanner.sum(grants.values) else {
            throw CenterError.allocation(.exceedsStock(requested: .max, available: ledger.rights(of: .center)))
        }
        guard total > 0 else { return changes }
        try requireNotEnded(terms, nowMs: nowMs)
        guard total <= ledger.rights(of: .center) else {
            throw CenterError.allocation(.exceedsStock(requested: total, available: ledger.rights(of: .center)))
        }
        try Self.grant(grants, saleID: spec.id, ledger: ledger, db)
        for (unit, amount) in grants.sorted(by: { $0.key < $1.key }) {
            changes.append("sale \(spec.id): granted \(amount) to \(unit)")
        }
        return changes
    }
}
