// What a unit keeps on disk for the custody of its region's buyers: the copies it guards and whether it caught up.

import FlashSaleAPI
import FlashSaleCore
import GRDB

extension UnitRecords {
    /// `custody_copy`: orders other units of the region hold, copied here because this unit guards their buyer (or
    /// took them over); `custody_state`: per sale, the view this unit last caught up at (`Custody.isCaughtUp`).
    static func createCustodyTables(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE custody_copy (
                order_id TEXT PRIMARY KEY NOT NULL,
                sale_id TEXT NOT NULL,
                user_id TEXT NOT NULL,
                idempotency_key TEXT,
                status TEXT NOT NULL CHECK (status IN ('reserved', 'paid', 'cancelled', 'expired'))
            );
            CREATE INDEX custody_copy_sale ON custody_copy (sale_id);
            CREATE TABLE custody_state (
                sale_id TEXT PRIMARY KEY NOT NULL,
                view INTEGER NOT NULL CHECK (view >= 0),
                caught_up INTEGER NOT NULL CHECK (caught_up IN (0, 1)),
                -- Set once this database started after the sale opened: the copies kept before it are gone.
                copies_lost INTEGER NOT NULL DEFAULT 0 CHECK (copies_lost IN (0, 1))
            );
            -- When this database was made (0: before this column, so before any sale it could tell of).
            ALTER TABLE local_node ADD COLUMN created_ms INTEGER NOT NULL DEFAULT 0;
            """)
    }

    /// Writes accepted copies; a known copy only moves on from reserved (`Custody.merge`).
    static func saveCopies(_ orders: [Order], _ db: Database) throws {
        for order in orders {
            try db.execute(
                sql: """
                    INSERT INTO custody_copy (order_id, sale_id, user_id, idempotency_key, status) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (order_id) DO UPDATE SET status = excluded.status WHERE custody_copy.status = 'reserved'
                    """,
                arguments: [order.id.description, order.saleID, order.userID, order.idempotencyKey, order.status.rawValue])
        }
    }

    /// Records that the unit has (or has not) caught up at view `view` of `saleID`.
    static func saveCaughtUp(sale saleID: String, view: Int, caughtUp: Bool, _ db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO custody_state (sale_id, view, caught_up) VALUES (?, ?, ?)
                ON CONFLICT (sale_id) DO UPDATE SET view = excluded.view, caught_up = excluded.caught_up
                """,
            arguments: [saleID, view, caughtUp ? 1 : 0])
    }

    /// The custody of every sale of `config` whose owners in `region` include `unit`, as the disk has it: after the
    /// sales' `.loaded` events. A unit that never wrote its state caught up at view 0 (nothing was retired, so every
    /// order it acknowledged went to the guardian it has now). A database made after a sale opened, at a unit that
    /// owns the sale's buyers, replaced one that was lost: the copies it kept are gone (`markCopiesLost` keeps that).
    /// `keptOwners` are the owners of the sales whose custody the machine already keeps: for those the copies are not
    /// read again (the machine only moves to the new view), so a configuration change does not read every copy inside
    /// the writer's transaction.
    static func custodyEvents(
        _ config: ClusterConfig, unit: NodeID, region: String, keptOwners: [String: [NodeID]] = [:], _ db: Database
    ) throws -> [UnitMachine.Event] {
        let createdMs = try Int64.fetchOne(db, sql: "SELECT created_ms FROM local_node WHERE id = 1") ?? 0
        return try config.sales.compactMap { sale -> UnitMachine.Event? in
            guard let view = sale.custodyView(region: region), view.owners.count > 1, view.owners.contains(unit) else { return nil }
            let saleID = sale.terms.id
            let state = try Row.fetchOne(
                db, sql: "SELECT view, caught_up, copies_lost FROM custody_state WHERE sale_id = ?", arguments: [saleID])
            let caughtUp = state.map { $0["view"] == view.number && $0["caught_up"] == 1 } ?? (view.number == 0)
            let lostBefore = state.map { $0["copies_lost"] == 1 } ?? false
            // A second of slack: a sale's start is kept to the second, and a unit started within the second a sale
            // was created with "now" as its start (a rehearsal, a test) had nothing to lose.
            let copiesLost = lostBefore || createdMs > sale.terms.startsAtMs &+ 1_000
            return .custody(
                sale: saleID, view: view, copies: keptOwners[saleID] == view.owners ? [] : try copies(saleID: saleID, db),
                caughtUp: caughtUp, copiesLost: copiesLost)
        }
    }

    /// Writes down the sales of `events` whose copies were lost, for good.
    static func markCopiesLost(_ events: [UnitMachine.Event], _ db: Database) throws {
        for case .custody(let sale, _, _, _, true) in events {
            try db.execute(
                sql: """
                    INSERT INTO custody_state (sale_id, view, caught_up, copies_lost) VALUES (?, 0, 0, 1)
                    ON CONFLICT (sale_id) DO UPDATE SET copies_lost = 1
                    """,
                arguments: [sale])
        }
    }

    private static func copies(saleID: String, _ db: Database) throws -> [Order] {
        try Row.fetchAll(
            db, sql: "SELECT order_id, user_id, idempotency_key, status FROM custody_copy WHERE sale_id = ?", arguments: [saleID]
        ).compactMap { row in
            guard let id = OrderID(row["order_id"]), let status = OrderStatus(rawValue: row["status"]) else { return nil }
            return Order(id: id, saleID: saleID, userID: row["user_id"], status: status, idempotencyKey: row["idempotency_key"])
        }
    }
}
