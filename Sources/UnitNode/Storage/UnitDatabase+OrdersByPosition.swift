// The order log as a table stored in log order, keyed by each order's position rather than by its id's text.

import GRDB

extension UnitDatabase {
    /// Rebuilds `orders` as a `WITHOUT ROWID` table whose primary key is the order's position in the log,
    /// `(stream_ms, stream_seq)`, with every column, index and trigger it had, and the same rows.
    ///
    /// Why: it was a rowid table with two more unique indexes, one on `id` (its `TEXT PRIMARY KEY`) and one on
    /// `(stream_ms, stream_seq)`, and every order was written into all three. An id is its unit, its millisecond and
    /// its sequence (`OrderID`), and a unit's database holds its own orders only, so the position alone identifies an
    /// order; lookups by id go by position and check the id (`UnitRecords.order`). Stored by position, each insert
    /// writes one b-tree fewer and appends to the end of the table's: on the full path, 7-8 % more orders a second
    /// (BENCHMARKS.md, stop 32).
    ///
    /// SQLite cannot change a primary key in place, so this is its documented way: a new table, the rows copied, the
    /// old one dropped (which fires no trigger) and the new one renamed. The triggers come after the copy, so the
    /// copied rows are neither counted as sold again nor checked against the per-user limit again. They are written
    /// out again, not shared with v1 and v2: a migration's text stays as it ran.
    static func rebuildOrdersByPosition(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE orders_by_position (
                id TEXT NOT NULL,
                sale_id TEXT NOT NULL REFERENCES unit_stock(sale_id),
                user_id TEXT NOT NULL,
                stream_ms INTEGER NOT NULL,
                stream_seq INTEGER NOT NULL,
                status TEXT NOT NULL DEFAULT 'reserved' CHECK (status IN ('reserved', 'paid', 'cancelled', 'expired')),
                idempotency_key TEXT,
                PRIMARY KEY (stream_ms, stream_seq)
            ) WITHOUT ROWID;
            INSERT INTO orders_by_position (id, sale_id, user_id, stream_ms, stream_seq, status, idempotency_key)
                SELECT id, sale_id, user_id, stream_ms, stream_seq, status, idempotency_key FROM orders;
            DROP TABLE orders;
            ALTER TABLE orders_by_position RENAME TO orders;

            CREATE INDEX orders_by_user ON orders (sale_id, user_id);
            CREATE UNIQUE INDEX orders_idempotency ON orders (user_id, idempotency_key)
                WHERE idempotency_key IS NOT NULL;
            CREATE INDEX orders_to_expire ON orders (sale_id, status, stream_ms);

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
            CREATE TRIGGER orders_fixed_key BEFORE UPDATE OF idempotency_key ON orders
            BEGIN SELECT RAISE(ABORT, 'an order keeps its idempotency key'); END;
            CREATE TRIGGER orders_never_deleted BEFORE DELETE ON orders
            BEGIN SELECT RAISE(ABORT, 'orders are never deleted'); END;
            """)
    }
}
