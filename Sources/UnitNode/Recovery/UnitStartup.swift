// Rebuilding the unit's memory from its database: at start, and after each configuration change.

import FlashSaleCore
import GRDB

enum UnitStartup {
    /// Loads `sales` into the desk from SQLite: the ledger as durably known and, for a sale new to the desk,
    /// the orders that hold stock (so the per-user limit survives restarts).
    static func loadSales(_ sales: [SaleTerms], into desk: PurchaseDesk, from pool: DatabasePool) async throws {
        let unit = desk.unit
        let loaded = try await pool.read { db in
            try sales.map { terms in
                let known = desk.knows(sale: terms.id)
                let orders = known ? [] : try UnitRecords.holdingOrders(saleID: terms.id, db)
                let keyed = known ? [] : try UnitRecords.keyedOrders(saleID: terms.id, db)
                return (terms, try UnitRecords.ledger(saleID: terms.id, unit: unit, db), orders, keyed)
            }
        }
        for (terms, ledger, orders, keyed) in loaded {
            desk.load(terms: terms, ledger: ledger, orders: orders, keyed: keyed)
        }
    }
}
