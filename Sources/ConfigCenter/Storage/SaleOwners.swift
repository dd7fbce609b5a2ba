// Which units own a sale's buyers: the region's units as they were when the sale opened, fixed from then on.

import FlashSaleCore
import GRDB

/// A buyer is owned, within their region, by one unit (a rendezvous hash of the user id over the region's units), so
/// the per-user limit needs no coordination. If the units a hash runs over changed during a sale, some buyers would
/// move to a unit with no record of their orders and could buy again. So each sale keeps the region's units as they
/// were when it opened: until the start they follow every enrolment (refreshed after each change), from the start
/// they are fixed; a unit that joins later owns no buyer of that sale (it answers them `421 wrong-unit`) and sells
/// its share through gossip to the owners.
enum SaleOwners {
    /// Brings every sale that has not opened at `nowMs` (or has no owners yet) up to the units enrolled now. Run
    /// after each change, in its transaction: membership changes only through a write, so the last refresh before
    /// a sale's start is its membership at the start.
    /// Rows are rewritten only where they differ: this runs after every heartbeat too.
    static func refresh(nowMs: Int64, _ db: Database) throws {
        var now: [String: [String]] = [:]
        for (region, units) in try CenterQueries.unitsByRegion(db) where !units.isEmpty {
            now[region] = units.map(\.rawValue).sorted()
        }
        let kept = try all(db)
        for terms in try CenterQueries.allSaleTerms(db) where terms.startsAtMs > nowMs || kept[terms.id] == nil {
            guard kept[terms.id] != now else { continue }
            try db.execute(sql: "DELETE FROM sale_owner WHERE sale_id = ?", arguments: [terms.id])
            for (region, units) in now {
                for unit in units {
                    try db.execute(
                        sql: "INSERT INTO sale_owner (sale_id, region_id, unit_id) VALUES (?, ?, ?)",
                        arguments: [terms.id, region, unit])
                }
            }
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
