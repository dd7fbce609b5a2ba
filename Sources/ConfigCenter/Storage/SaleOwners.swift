// Which units own a sale's buyers: the region's units as they were when the sale opened, fixed from then on.

import FlashSaleCore
import GRDB

/// A buyer is owned, within their region, by one unit (a rendezvous hash of the user id over the region's units), so
/// the per-user limit needs no coordination. If the units a hash runs over changed during a sale, some buyers would
/// move to a unit with no record of their orders and could buy again. So each sale keeps, per region, the units that
/// own its buyers: until the sale opens they follow every enrolment (refreshed after each change); once it is open
/// (recorded, so moving its start later does not reopen the list) each region's owners are fixed, and a region that
/// had no unit when the sale opened gets its first units as owners and keeps them. A unit that joins later owns no
/// buyer of that sale (it answers them `421 wrong-unit`) and sells its share through gossip to the owners.
enum SaleOwners {
    /// Brings the owners up to date at `nowMs`. Run after each change, in its transaction: membership changes only
    /// through a write, so the last refresh before a sale's start is its membership at the start. Rows are written
    /// only where they change: this runs after every heartbeat too.
    static func refresh(nowMs: Int64, _ db: Database) throws {
        var now: [String: [String]] = [:]
        for (region, units) in try CenterQueries.unitsByRegion(db) where !units.isEmpty {
            now[region] = units.map(\.rawValue).sorted()
        }
        let kept = try all(db)
        let opened = Set(try String.fetchAll(db, sql: "SELECT sale_id FROM sale_opened"))
        for terms in try CenterQueries.allSaleTerms(db) {
            if opened.contains(terms.id) || terms.startsAtMs <= nowMs {
                if !opened.contains(terms.id) {
                    try db.execute(sql: "INSERT INTO sale_opened (sale_id, seen_ms) VALUES (?, ?)", arguments: [terms.id, nowMs])
                }
                for (region, units) in now where kept[terms.id]?[region] == nil {
                    try insert(sale: terms.id, region: region, units: units, db)
                }
            } else if kept[terms.id] ?? [:] != now {
                try db.execute(sql: "DELETE FROM sale_owner WHERE sale_id = ?", arguments: [terms.id])
                for (region, units) in now { try insert(sale: terms.id, region: region, units: units, db) }
            }
        }
    }

    private static func insert(sale: String, region: String, units: [String], _ db: Database) throws {
        for unit in units {
            try db.execute(
                sql: "INSERT INTO sale_owner (sale_id, region_id, unit_id) VALUES (?, ?, ?)", arguments: [sale, region, unit])
        }
    }

    /// Each sale's owners, by region (sorted ids).
    static func all(_ db: Database) throws -> [String: [String: [String]]] {
        var owners: [String: [String: [String]]] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT sale_id, region_id, unit_id FROM sale_owner ORDER BY sale_id, region_id, unit_id") {
            owners[row["sale_id"], default: [:]][row["region_id"], default: []].append(row["unit_id"])
        }
        return owners
    }
}
