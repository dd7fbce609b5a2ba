// The unit's own SQLite database: its orders, its counters and the last configuration it saw.

public import FlashSaleStorage
public import GRDB

/// Opens a unit's database and brings its schema up to date.
///
/// The schema is the last line of defence: whatever the in-memory cache believes, SQLite itself refuses an
/// order that would take the unit's sold count over the rights it holds, an order over the per-user limit,
/// deleting an order, or moving an order's status backwards.
public enum UnitDatabase {
    public static func open(path: String, synchronous: SynchronousMode = .full) throws -> DatabasePool {
        try SQLiteFile.open(path: path, synchronous: synchronous, migrator: migrator)
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-unit") { db in
            try db.execute(sql: """
                CREATE TABLE local_node (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    unit_id TEXT NOT NULL,
                    region_id TEXT NOT NULL
                );
                CREATE TABLE config_snapshot (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    version INTEGER NOT NULL,
                    body BLOB NOT NULL
                );
                """)
            // Replicas of the other nodes' ledger rows (the config-center's mints and grants, later the peers').
            try LedgerTables.create(db)
            try db.execute(sql: """
                -- This unit's own counters per sale. received and granted_out follow ledger_grant (triggers below);
                -- sold and released follow orders. The last CHECK is "rights >= 0": no order, and no grant to
                -- another node, may ever take more than the unit holds.
                CREATE TABLE unit_stock (
                    sale_id TEXT PRIMARY KEY,
                    per_user_limit INTEGER NOT NULL CHECK (per_user_limit >= 1),
                    received INTEGER NOT NULL DEFAULT 0 CHECK (received >= 0),
                    granted_out INTEGER NOT NULL DEFAULT 0 CHECK (granted_out >= 0),
                    sold INTEGER NOT NULL DEFAULT 0 CHECK (sold >= 0),
                    released INTEGER NOT NULL DEFAULT 0 CHECK (released >= 0 AND released <= sold),
                    -- What this unit had sold and returned before it lost its database, as the cluster remembered
                    -- it (restored before the unit sells again, so it never sells those rights twice).
                    recovered_sold INTEGER NOT NULL DEFAULT 0 CHECK (recovered_sold >= 0),
                    recovered_released INTEGER NOT NULL DEFAULT 0
                        CHECK (recovered_released >= 0 AND recovered_released <= recovered_sold),
                    CHECK (sold + recovered_sold - released - recovered_released <= received - granted_out)
                ) WITHOUT ROWID;
                CREATE TRIGGER unit_stock_counters_only_grow BEFORE UPDATE ON unit_stock
                WHEN NEW.received < OLD.received OR NEW.granted_out < OLD.granted_out
                    OR NEW.sold < OLD.sold OR NEW.released < OLD.released
                    OR NEW.recovered_sold < OLD.recovered_sold OR NEW.recovered_released < OLD.recovered_released
                BEGIN SELECT RAISE(ABORT, 'unit counters only grow'); END;

                CREATE TRIGGER unit_stock_received_insert AFTER INSERT ON ledger_grant
                WHEN NEW.to_node = (SELECT unit_id FROM local_node WHERE id = 1) BEGIN
                    UPDATE unit_stock SET received = (SELECT SUM(amount) FROM ledger_grant
                        WHERE sale_id = NEW.sale_id AND to_node = NEW.to_node) WHERE sale_id = NEW.sale_id;
                END;
                CREATE TRIGGER unit_stock_received_update AFTER UPDATE ON ledger_grant
                WHEN NEW.to_node = (SELECT unit_id FROM local_node WHERE id = 1) BEGIN
                    UPDATE unit_stock SET received = (SELECT SUM(amount) FROM ledger_grant
                        WHERE sale_id = NEW.sale_id AND to_node = NEW.to_node) WHERE sale_id = NEW.sale_id;
                END;
                CREATE TRIGGER unit_stock_granted_insert AFTER INSERT ON ledger_grant
                WHEN NEW.from_node = (SELECT unit_id FROM local_node WHERE id = 1) BEGIN
                    UPDATE unit_stock SET granted_out = (SELECT SUM(amount) FROM ledger_grant
                        WHERE sale_id = NEW.sale_id AND from_node = NEW.from_node) WHERE sale_id = NEW.sale_id;
                END;
                CREATE TRIGGER unit_stock_granted_update AFTER UPDATE ON ledger_grant
                WHEN NEW.from_node = (SELECT unit_id FROM local_node WHERE id = 1) BEGIN
                    UPDATE unit_stock SET granted_out = (SELECT SUM(amount) FROM ledger_grant
                        WHERE sale_id = NEW.sale_id AND from_node = NEW.from_node) WHERE sale_id = NEW.sale_id;
                END;

                -- The unit's ordered order log. (stream_ms, stream_seq) is the id's position; ids only grow.
                CREATE TABLE orders (
                    id TEXT PRIMARY KEY,
                    sale_id TEXT NOT NULL REFERENCES unit_stock(sale_id),
                    user_id TEXT NOT NULL,
                    stream_ms INTEGER NOT NULL,
                    stream_seq INTEGER NOT NULL,
                    status TEXT NOT NULL DEFAULT 'reserved' CHECK (status IN ('reserved', 'paid', 'cancelled', 'expired')),
                    UNIQUE (stream_ms, stream_seq)
                );
                CREATE INDEX orders_by_user ON orders (sale_id, user_id);
                CREATE TRIGGER orders_per_user_limit BEFORE INSERT ON orders
                WHEN (SELECT COUNT(*) FROM orders WHERE sale_id = NEW.sale_id AND user_id = NEW.user_id
                        AND status IN ('reserved', 'paid'))
                    >= (SELECT per_user_limit FROM unit_stock WHERE sale_id = NEW.sale_id)
                BEGIN SELECT RAISE(ABORT, 'per-user limit reached'); END;
                CREATE TRIGGER orders_append_only BEFORE INSERT ON orders
                WHEN EXISTS (SELECT 1 FROM orders WHERE (stream_ms, stream_seq) >= (NEW.stream_ms, NEW.stream_seq))
                BEGIN SELECT RAISE(ABORT, 'order ids only grow'); END;
                CREATE TRIGGER orders_count_sold AFTER INSERT ON orders BEGIN
                    UPDATE unit_stock SET sold = sold + 1 WHERE sale_id = NEW.sale_id;
                END;
                CREATE TRIGGER orders_status_forward BEFORE UPDATE OF status ON orders
                WHEN NEW.status <> OLD.status
                    AND NOT (OLD.status = 'reserved' AND NEW.status IN ('paid', 'cancelled', 'expired'))
                BEGIN SELECT RAISE(ABORT, 'order status only moves forward'); END;
                CREATE TRIGGER orders_count_released AFTER UPDATE OF status ON orders
                WHEN OLD.status IN ('reserved', 'paid') AND NEW.status IN ('cancelled', 'expired') BEGIN
                    UPDATE unit_stock SET released = released + 1 WHERE sale_id = NEW.sale_id;
                END;
                CREATE TRIGGER orders_fixed_fields BEFORE UPDATE OF id, sale_id, user_id, stream_ms, stream_seq ON orders
                BEGIN SELECT RAISE(ABORT, 'an order keeps its id, sale and user'); END;
                CREATE TRIGGER orders_never_deleted BEFORE DELETE ON orders
                BEGIN SELECT RAISE(ABORT, 'orders are never deleted'); END;
                """)
        }
        migrator.registerMigration("v2-idempotency") { db in
            try db.execute(sql: """
                -- One idempotency key of one user never makes two orders, even if the cache were wrong.
                ALTER TABLE orders ADD COLUMN idempotency_key TEXT;
                CREATE UNIQUE INDEX orders_idempotency ON orders (user_id, idempotency_key)
                    WHERE idempotency_key IS NOT NULL;
                CREATE TRIGGER orders_fixed_key BEFORE UPDATE OF idempotency_key ON orders
                BEGIN SELECT RAISE(ABORT, 'an order keeps its idempotency key'); END;
                """)
        }
        migrator.registerMigration("v3-expiry") { db in
            // The expiry sweep reads reserved orders of a sale by age.
            try db.execute(sql: "CREATE INDEX orders_to_expire ON orders (sale_id, status, stream_ms)")
        }
        migrator.registerMigration("v4-signed-rows") { db in
            // Other nodes' rows as their owners signed them: what this unit passes on in gossip.
            try LedgerTables.createSignedCopies(db)
        }
        migrator.registerMigration("v5-grant-witness") { db in
            // The config-center's witness of grants between units: what lets this unit sell a peer's grant.
            try UnitRecords.createWitnessTable(db)
        }
        migrator.registerMigration("v6-recovering") { db in
            // Set from the database's first claim until the unit has its own row back from the other nodes: a unit
            // restarted in the middle of recovering goes on recovering, rather than selling on a half-restored row.
            try db.execute(sql: """
                ALTER TABLE local_node ADD COLUMN recovering INTEGER NOT NULL DEFAULT 0 CHECK (recovering IN (0, 1));
                """)
        }
        migrator.registerMigration("v7-custody") { db in
            // Copies of the orders of buyers this unit guards for another unit of its region (issue 16's takeover).
            try UnitRecords.createCustodyTables(db)
        }
        migrator.registerMigration("v8-orders-by-position") { db in
            // The order log kept in log order, without the index on its ids (issue 15): 7-8 % more orders a second.
            try rebuildOrdersByPosition(db)
        }
        return migrator
    }
}
