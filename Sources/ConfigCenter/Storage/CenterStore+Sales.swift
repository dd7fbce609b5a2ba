// Sales at the config-center: creating (minting), allocating (granting to units), restocking, status.

import FlashSaleAPI
import FlashSaleCore
import FlashSaleStorage
import Foundation
import GRDB

extension CenterStore {
    /// Largest stock one sale may have; far above any flash sale, well inside Int64 arithmetic.
    public static let stockMax: Int64 = 1_000_000_000

    /// Creates a sale and mints its stock at the config-center. Creating the same sale again is a no-op;
    /// the same id with other settings is refused.
    public func createSale(_ spec: SaleSpec) async throws -> SaleStatus {
        let terms = try Self.terms(of: spec)
        try Self.validateStock(spec.stock)
        let now = nowMs()
        return try await write { db in
            if let existing = try CenterQueries.saleTerms(spec.id, db) {
                let minted = try LedgerTables.load(saleID: spec.id, db).row(.center).minted
                guard existing == terms, minted == spec.stock else {
                    throw CenterError.alreadyExists("sale '\(spec.id)' exists with other settings")
                }
                return try Self.status(of: existing, nowMs: now, db)
            }
            try CenterQueries.writeTerms(terms, db)
            try LedgerTables.merge(LedgerRow(minted: spec.stock), of: .center, saleID: spec.id, db)
            _ = try CenterQueries.bumpVersion(db)
            return try Self.status(of: terms, nowMs: now, db)
        }
    }

    /// Grants part of what the center holds to regions, split over each region's units.
    public func allocate(sale saleID: String, _ spec: AllocationSpec) async throws -> SaleStatus {
        let request = try Self.request(of: spec)
        let now = nowMs()
        return try await write { db in
            let terms = try CenterQueries.requireSale(saleID, db)
            try Self.requireNotEnded(terms, nowMs: now)
            let ledger = try LedgerTables.load(saleID: saleID, db)
            let planner = AllocationPlanner(unitsByRegion: try CenterQueries.unitsByRegion(db))
            let grants: [NodeID: Int64]
            do throws(AllocationError) {
                grants = try planner.grants(for: request, available: ledger.rights(of: .center))
            } catch {
                throw CenterError.allocation(error)
            }
            try Self.grant(grants, saleID: saleID, ledger: ledger, db)
            return try Self.status(of: terms, nowMs: now, db)
        }
    }

    /// Mints `amount` more stock at the center, to allocate next.
    public func restock(sale saleID: String, _ spec: RestockSpec) async throws -> SaleStatus {
        guard spec.amount > 0, spec.amount <= Self.stockMax else {
            throw CenterError.invalidInput("restock amount must be 1-\(Self.stockMax)")
        }
        let now = nowMs()
        return try await write { db in
            let terms = try CenterQueries.requireSale(saleID, db)
            try Self.requireNotEnded(terms, nowMs: now)
            let minted = try LedgerTables.load(saleID: saleID, db).row(.center).minted
            guard minted + spec.amount <= Self.stockMax else {
                throw CenterError.invalidInput("a sale's stock may not exceed \(Self.stockMax)")
            }
            try LedgerTables.merge(LedgerRow(minted: minted + spec.amount), of: .center, saleID: saleID, db)
            _ = try CenterQueries.bumpVersion(db)
            return try Self.status(of: terms, nowMs: now, db)
        }
    }

    public func status(sale saleID: String) async throws -> SaleStatus {
        let now = nowMs()
        let pulses = pulses.withLock { $0[saleID] ?? [:] }
        return try await pool.read { db in
            try Self.status(of: try CenterQueries.requireSale(saleID, db), nowMs: now, pulses: pulses, db)
        }
    }

    public func sales() async throws -> [SaleStatus] {
        let now = nowMs()
        let pulses = pulses.withLock { $0 }
        return try await pool.read { db in
            try CenterQueries.allSaleTerms(db).map { try Self.status(of: $0, nowMs: now, pulses: pulses[$0.id] ?? [:], db) }
        }
    }

    // MARK: Shared steps

    /// Adds `grants` to the center's row through the ledger, which refuses to go below zero rights.
    static func grant(_ grants: [NodeID: Int64], saleID: String, ledger: RightsLedger, _ db: Database) throws {
        guard !grants.isEmpty else { return }
        var ledger = ledger
        for (unit, amount) in grants.sorted(by: { $0.key < $1.key }) where amount > 0 {
            do {
                try ledger.grant(amount, from: .center, to: unit)
            } catch {
                throw CenterError.allocation(
                    .exceedsStock(requested: AllocationPlanner.sum(grants.values) ?? .max, available: ledger.rights(of: .center)))
            }
        }
        try LedgerTables.merge(ledger.row(.center), of: .center, saleID: saleID, db)
        _ = try CenterQueries.bumpVersion(db)
    }

    static func status(of terms: SaleTerms, nowMs: Int64, pulses: [NodeID: Pulse] = [:], _ db: Database) throws -> SaleStatus {
        let ledger = try LedgerTables.load(saleID: terms.id, db)
        let center = ledger.row(.center)
        var unitIDs = Set(ledger.nodes)
        unitIDs.remove(.center)
        let known = try CenterQueries.units(db)
        let byID = Dictionary(uniqueKeysWithValues: known.map { ($0.id, $0) })
        unitIDs.formUnion(known.map { NodeID($0.id) })
        let units = unitIDs.sorted().map { unit in
            let spec = byID[unit.rawValue]
            let row = ledger.row(unit)
            let fromUnits = ledger.received(by: unit) - (center.grantedTo[unit] ?? 0)
            return UnitSaleStatus(
                unit: unit.rawValue, region: spec?.region ?? "?", allocated: center.grantedTo[unit] ?? 0,
                rightsHeld: ledger.rights(of: unit), sold: row.consumed, orders: row.held,
                returned: row.grantedTo[.center] ?? 0, receivedFromUnits: fromUnits,
                givenToUnits: row.grantedTotal - (row.grantedTo[.center] ?? 0),
                demandPerSecond: pulses[unit].map { ($0.demandPerSecond * 10).rounded() / 10 }, lastSeen: spec?.lastSeen)
        }
        return SaleStatus(
            sale: terms.id, title: terms.title, state: terms.phase(atMs: nowMs).name,
            startsAt: Date(millisecondsSince1970: terms.startsAtMs), endsAt: Date(millisecondsSince1970: terms.endsAtMs),
            perUserLimit: terms.perUserLimit, minted: ledger.totalMinted, atCenter: ledger.rights(of: .center),
            sold: ledger.totalHeld, returned: ledger.received(by: .center), units: units)
    }

    static func terms(of spec: SaleSpec) throws -> SaleTerms {
        let terms = SaleTerms(
            id: spec.id, title: spec.title, startsAtMs: spec.startsAt.millisecondsSince1970,
            endsAtMs: spec.endsAt.millisecondsSince1970, perUserLimit: spec.perUserLimit,
            admission: spec.admission,
            // Out of range maps to -1, which the terms' own check refuses, so no product can overflow.
            paymentWindowMs: spec.paymentWindowSeconds.map { (1...86_400).contains($0) ? Int64($0) * 1000 : -1 })
        if let violation = terms.violation { throw CenterError.invalidInput(violation) }
        return terms
    }

    static func validateStock(_ stock: Int64) throws {
        guard stock > 0, stock <= stockMax else { throw CenterError.invalidInput("stock must be 1-\(stockMax)") }
    }

    /// The planner's request for `spec`, with every amount in range (so no sum of them can overflow).
    static func request(of spec: AllocationSpec) throws -> AllocationRequest {
        switch (spec.counts, spec.percentages) {
        case (let counts?, nil):
            if let (region, _) = counts.first(where: { !(0...stockMax).contains($0.value) }) {
                throw CenterError.allocation(.invalidAmount(region: region))
            }
            return .counts(counts)
        case (nil, let percentages?):
            if let (region, _) = percentages.first(where: { !(0...100).contains($0.value) }) {
                throw CenterError.allocation(.invalidAmount(region: region))
            }
            return .percentages(percentages)
        default: throw CenterError.invalidInput("give either counts or percentages per region, not both")
        }
    }

    static func requireNotEnded(_ terms: SaleTerms, nowMs: Int64) throws {
        if terms.phase(atMs: nowMs) == .ended { throw CenterError.conflict("sale '\(terms.id)' has ended") }
    }
}

extension CenterStore {
    /// Stops selling for now; units answer `503 sale-paused` until `resume`. Pausing twice changes nothing.
    public func pause(sale saleID: String) async throws -> SaleStatus {
        try await changeTerms(saleID) { terms, now in
            try Self.requireNotEnded(terms, nowMs: now)
            terms.paused = true
        }
    }

    public func resume(sale saleID: String) async throws -> SaleStatus {
        try await changeTerms(saleID) { terms, now in
            try Self.requireNotEnded(terms, nowMs: now)
            terms.paused = nil
        }
    }

    /// Ends the sale now (or, before it starts, cancels it): units stop selling and return what they hold, as at a
    /// scheduled end. Stopping an ended sale changes nothing.
    public func stop(sale saleID: String) async throws -> SaleStatus {
        try await changeTerms(saleID) { terms, now in
            guard terms.phase(atMs: now) != .ended else { return }
            terms.startsAtMs = min(terms.startsAtMs, now - 1)
            terms.endsAtMs = now
            terms.paused = nil
        }
    }

    /// Applies `change` to a sale's terms in one transaction, raising the version only when they changed.
    private func changeTerms(
        _ saleID: String, _ change: @escaping @Sendable (inout SaleTerms, Int64) throws -> Void
    ) async throws -> SaleStatus {
        let now = nowMs()
        return try await write { db in
            let existing = try CenterQueries.requireSale(saleID, db)
            var terms = existing
            try change(&terms, now)
            if terms != existing {
                try CenterQueries.writeTerms(terms, db)
                _ = try CenterQueries.bumpVersion(db)
            }
            return try Self.status(of: terms, nowMs: now, db)
        }
    }
}
