// Which owners of a sale the config-center retired, per region, in the order it retired them.

import GRDB

/// A sale's retired owners (table `sale_retired`): written by `CenterStore.retireSilentOwners` only, never undone nor
/// reordered, because each unit of a region computes who owns and guards a buyer from the owners less these units
/// (`CustodyView`), and a view that shrank and grew again would hand a buyer back to a unit that no longer holds
/// their orders. Rows are kept with their sale, as `sale_owner`'s are (no sale is ever deleted).
enum SaleRetired {
    /// Each sale's retired units, by region, first retired first.
    static func all(_ db: Database) throws -> [String: [String: [String]]] {
        var retired: [String: [String: [String]]] = [:]
        let rows = try Row.fetchAll(
            db, sql: "SELECT sale_id, region_id, unit_id FROM sale_retired ORDER BY sale_id, region_id, position")
        for row in rows {
            retired[row["sale_id"], default: [:]][row["region_id"], default: []].append(row["unit_id"])
        }
        return retired
    }

    /// Records `unit` retired from `sale` in `region` as the `position`-th (0 first); the caller raises the version.
    static func insert(sale: String, region: String, unit: String, position: Int, atMs: Int64, _ db: Database) throws {
        try db.execute(
            sql: "INSERT INTO sale_retired (sale_id, region_id, unit_id, position, retired_ms) VALUES (?, ?, ?, ?, ?)",
            arguments: [sale, region, unit, position, atMs])
    }
}
