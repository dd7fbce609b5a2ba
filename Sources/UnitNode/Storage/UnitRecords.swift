// The SQL of the unit's database: what `UnitStore` reads and what the group-commit writer's changes run.

import FlashSaleAPI
import FlashSaleCore
import FlashSaleStorage
import Foundation
import GRDB

/// SQL of the unit database, in one place; each function runs inside the caller's transaction.
enum UnitRecords {
    /// Claims the database for `unit` in `region`, or refuses a database that belongs to another unit. Returns
    /// true while the database has not recovered the unit's row: it is new (the unit may have sold before, with a
    /// database it lost), or the unit stopped before recovery finished (`finishedRecovering`).
    @discardableResult
    static func claim(unit: NodeID, region: String, nowMs: Int64 = Date().millisecondsSince1970, _ db: Database) throws -> Bool {
        if let row = try Row.fetchOne(db, sql: "SELECT unit_id, region_id, recovering FROM local_node WHERE id = 1") {
            let owner: String = row["unit_id"]
            let ownerRegion: String = row["region_id"]
            guard owner == unit.rawValue, ownerRegion == region else {
                throw UnitStartupError.dataBelongsToAnotherUnit(unit: owner, region: ownerRegion)
            }
            return row["recovering"] == 1
        }
        try db.execute(
            sql: "INSERT INTO local_node (id, unit_id, region_id, recovering, created_ms) VALUES (1, ?, ?, 1, ?)",
            arguments: [unit.rawValue, region, nowMs])
        return true
    }

    /// Whether the unit is still recovering its row (`claim`), as this transaction sees it: a write that restores the
    /// unit's own row decides by this, not by what the machine said before the write was queued.
    static func isRecovering(_ db: Database) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT recovering FROM local_node WHERE id = 1") ?? false
    }

    /// The sales this unit's database knows.
    static func saleIDs(_ db: Database) throws -> Set<String> {
        try String.fetchSet(db, sql: "SELECT sale_id FROM unit_stock")
    }

    /// The unit has its own row back and sells: written with the books' reload, in one transaction.
    static func finishedRecovering(_ db: Database) throws {
        try db.execute(sql: "UPDATE local_node SET recovering = 0 WHERE id = 1")
    }

    static func order(_ id: OrderID, _ db: Database) throws -> Order? {
        try OrderRecord.fetchOne(
            db, sql: "SELECT \(OrderRecord.columns) FROM orders WHERE \(OrderRecord.whereID)",
            arguments: OrderRecord.arguments(id)
        )?.order
    }

    /// Orders of `saleID` that hold stock, in log order (to rebuild the per-user holdings at startup).
    static func holdingOrders(saleID: String, _ db: Database) throws -> [Order] {
        try orders(saleID: saleID, where: "status IN ('reserved', 'paid')", db)
    }

    /// Up to `count` orders of this unit after `after` (from the first when nil), in log order: the ordered queue
    /// a fulfilment or payment system reads, remembering the last id it has.
    static func orders(after: OrderID?, count: Int, _ db: Database) throws -> [Order] {
        let position = after.map { ($0.milliseconds, $0.sequence) } ?? (-1, -1)
        return try OrderRecord.fetchAll(
            db,
            sql: """
                SELECT \(OrderRecord.columns) FROM orders
                WHERE (stream_ms, stream_seq) > (?, ?) ORDER BY stream_ms, stream_seq LIMIT ?
                """,
            arguments: [position.0, position.1, count]
        ).map(\.order)
    }

    /// Orders of `saleID` taken with an idempotency key, whatever their status (a retry gets its order back).
    static func keyedOrders(saleID: String, _ db: Database) throws -> [Order] {
        try orders(saleID: saleID, where: "idempotency_key IS NOT NULL", db)
    }

    private static func orders(saleID: String, where condition: String, _ db: Database) throws -> [Order] {
        try OrderRecord.fetchAll(
            db,
            sql: """
                SELECT \(OrderRecord.columns) FROM orders
                WHERE sale_id = ? AND \(condition) ORDER BY stream_ms, stream_seq
                """,
            arguments: [saleID]
        ).map(\.order)
    }

    /// `sales` as the disk has them, for the machine (`UnitMachine.Event.loaded`): the ledger as durably known and,
    /// for a sale not in `known` (new to the machine), the orders that hold stock (so the per-user limit survives
    /// restarts) and those with an idempotency key (so a retry gets its order back).
    static func loaded(_ sales: [SaleTerms], unit: NodeID, known: Set<String>, _ db: Database) throws -> [UnitMachine.Event] {
        try sales.map { terms in
            let isNew = !known.contains(terms.id)
            return .loaded(
                terms: terms, ledger: try ledger(saleID: terms.id, unit: unit, db),
                orders: isNew ? try holdingOrders(saleID: terms.id, db) : [],
                keyed: isNew ? try keyedOrders(saleID: terms.id, db) : [])
        }
    }

    /// The newest id in the log, so new ids continue after it.
    static func lastOrderID(unit: NodeID, _ db: Database) throws -> OrderID? {
        try Row.fetchOne(db, sql: "SELECT stream_ms, stream_seq FROM orders ORDER BY stream_ms DESC, stream_seq DESC LIMIT 1")
            .map { OrderID(unit: unit, milliseconds: $0["stream_ms"], sequence: $0["stream_seq"]) }
    }

    /// The unit's own ledger row for `saleID`, as the database counts it.
    static func ownRow(saleID: String, unit: NodeID, _ db: Database) throws -> LedgerRow {
        var row = LedgerRow()
        if let counters = try Row.fetchOne(
            db,
            sql: """
                SELECT sold + recovered_sold AS consumed, released + recovered_released AS released
                FROM unit_stock WHERE sale_id = ?
                """,
            arguments: [saleID])
        {
            row.consumed = counters["consumed"]
            row.released = counters["released"]
        }
        for grant in try Row.fetchAll(
            db, sql: "SELECT to_node, amount FROM ledger_grant WHERE sale_id = ? AND from_node = ?",
            arguments: [saleID, unit.rawValue])
        {
            row.grantedTo[NodeID(grant["to_node"])] = grant["amount"]
        }
        return row
    }

    /// The sale's ledger as this unit durably knows it: replicas of other rows plus its own counters.
    static func ledger(saleID: String, unit: NodeID, _ db: Database) throws -> RightsLedger {
        var ledger = try LedgerTables.load(saleID: saleID, db)
        ledger.merge(try ownRow(saleID: saleID, unit: unit, db), of: unit)
        return ledger
    }

    /// Restores what the cluster remembers of this unit's own row (`remembered`, from the config-center) after
    /// its database was lost: the sales and returns as recovered counters, its grants as they were.
    static func restore(_ remembered: LedgerRow, of unit: NodeID, saleID: String, _ db: Database) throws {
        let current = try ownRow(saleID: saleID, unit: unit, db)
        let missingSold = max(remembered.consumed - current.consumed, 0)
        let missingReleased = max(remembered.released - current.released, 0)
        if missingSold > 0 || missingReleased > 0 {
            try db.execute(
                sql: """
                    UPDATE unit_stock SET recovered_sold = recovered_sold + ?, recovered_released = recovered_released + ?
                    WHERE sale_id = ?
                    """,
                arguments: [missingSold, missingReleased, saleID])
        }
        try LedgerTables.merge(LedgerRow(grantedTo: remembered.grantedTo), of: unit, saleID: saleID, includeCounters: false, db)
    }

    static func savedConfig(_ db: Database) throws -> ClusterConfig? {
        guard let data = try Data.fetchOne(db, sql: "SELECT body FROM config_snapshot WHERE id = 1") else { return nil }
        return try WireJSON.decoder.decode(ClusterConfig.self, from: data)
    }

    /// Stores `config` as the unit's last known configuration and merges its ledger knowledge: the unit can
    /// restart and sell with the config-center down.
    static func save(_ config: ClusterConfig, _ db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO config_snapshot (id, version, body) VALUES (1, ?, ?)
                ON CONFLICT (id) DO UPDATE SET version = excluded.version, body = excluded.body
                """,
            arguments: [config.version, try WireJSON.encoder.encode(config)])
        for sale in config.sales {
            try db.execute(
                sql: """
                    INSERT INTO unit_stock (sale_id, per_user_limit) VALUES (?, ?)
                    ON CONFLICT (sale_id) DO UPDATE SET per_user_limit = excluded.per_user_limit
                    """,
                arguments: [sale.terms.id, sale.terms.perUserLimit])
            try LedgerTables.merge(sale.centerRow, of: .center, saleID: sale.terms.id, db)
        }
    }
}

/// Why a unit refuses to start.
public enum UnitStartupError: Error, CustomStringConvertible {
    case dataBelongsToAnotherUnit(unit: String, region: String)

    public var description: String {
        switch self {
        case .dataBelongsToAnotherUnit(let unit, let region):
            "this data directory belongs to unit '\(unit)' in region '\(region)'; give each unit its own directory"
        }
    }
}
