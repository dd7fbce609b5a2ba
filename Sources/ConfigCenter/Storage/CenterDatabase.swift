// The config-center's own SQLite database: schema by named migrations, opened in WAL mode.

import FlashSaleStorage
public import GRDB

/// Opens the config-center's database and brings its schema up to date.
public enum CenterDatabase {
    /// A pool on `path` (created when missing), migrated.
    public static func open(path: String) throws -> DatabasePool {
        try SQLiteFile.open(path: path, synchronous: .full, migrator: migrator)
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-cluster") { db in
            try db.execute(sql: """
                CREATE TABLE meta (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    config_version INTEGER NOT NULL CHECK (config_version >= 0)
                );
                INSERT INTO meta (id, config_version) VALUES (1, 0);
                CREATE TABLE region (id TEXT PRIMARY KEY, endpoint TEXT) WITHOUT ROWID;
                CREATE TABLE unit (
                    id TEXT PRIMARY KEY,
                    region_id TEXT NOT NULL REFERENCES region(id),
                    url TEXT,
                    last_seen_ms INTEGER,
                    config_version INTEGER
                ) WITHOUT ROWID;
                CREATE TABLE sale (
                    id TEXT PRIMARY KEY,
                    title TEXT NOT NULL,
                    starts_at_ms INTEGER NOT NULL,
                    ends_at_ms INTEGER NOT NULL,
                    per_user_limit INTEGER NOT NULL CHECK (per_user_limit >= 1),
                    CHECK (ends_at_ms > starts_at_ms)
                ) WITHOUT ROWID;
                """)
            try LedgerTables.create(db)
            // The center never hands out more than it holds, even if its code were wrong.
            try db.execute(sql: """
                CREATE TRIGGER center_grants_within_rights AFTER INSERT ON ledger_grant
                WHEN NEW.from_node = 'center' BEGIN
                    SELECT RAISE(ABORT, 'center granted more than it holds')
                    WHERE (SELECT COALESCE(SUM(amount), 0) FROM ledger_grant WHERE sale_id = NEW.sale_id AND from_node = 'center')
                        > (SELECT COALESCE(MAX(minted), 0) FROM ledger_row WHERE sale_id = NEW.sale_id AND node_id = 'center')
                          + (SELECT COALESCE(SUM(amount), 0) FROM ledger_grant WHERE sale_id = NEW.sale_id AND to_node = 'center');
                END;
                CREATE TRIGGER center_grants_within_rights_update AFTER UPDATE ON ledger_grant
                WHEN NEW.from_node = 'center' BEGIN
                    SELECT RAISE(ABORT, 'center granted more than it holds')
                    WHERE (SELECT COALESCE(SUM(amount), 0) FROM ledger_grant WHERE sale_id = NEW.sale_id AND from_node = 'center')
                        > (SELECT COALESCE(MAX(minted), 0) FROM ledger_row WHERE sale_id = NEW.sale_id AND node_id = 'center')
                          + (SELECT COALESCE(SUM(amount), 0) FROM ledger_grant WHERE sale_id = NEW.sale_id AND to_node = 'center');
                END;
                """)
        }
        migrator.registerMigration("v2-buyers") { db in
            try db.execute(sql: """
                ALTER TABLE sale ADD COLUMN admission TEXT;
                CREATE TABLE buyer_token_key (
                    kid TEXT PRIMARY KEY,
                    private_key_pem TEXT NOT NULL,
                    created_ms INTEGER NOT NULL
                ) WITHOUT ROWID;
                CREATE TABLE blacklist (
                    user_id TEXT PRIMARY KEY,
                    added_ms INTEGER NOT NULL
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v3-payment-window") { db in
            try db.execute(sql: "ALTER TABLE sale ADD COLUMN payment_window_ms INTEGER")
        }
        migrator.registerMigration("v4-pause") { db in
            try db.execute(sql: "ALTER TABLE sale ADD COLUMN paused INTEGER NOT NULL DEFAULT 0")
        }
        migrator.registerMigration("v5-operators") { db in
            // Credentials are stored as their SHA-256 only (see OperatorCredential).
            try db.execute(sql: """
                CREATE TABLE operator (
                    name TEXT PRIMARY KEY,
                    role TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
                    credential_sha256 TEXT NOT NULL UNIQUE,
                    created_ms INTEGER NOT NULL
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v6-node-keys") { db in
            // A unit's Ed25519 public key, set when an operator enrolls it; its requests must be signed with it.
            try db.execute(sql: "ALTER TABLE unit ADD COLUMN public_key TEXT")
        }
        migrator.registerMigration("v7-unique-node-keys") { db in
            // One key, one unit: two units sharing a key could sign as each other.
            try db.execute(sql: "CREATE UNIQUE INDEX unit_public_key ON unit(public_key) WHERE public_key IS NOT NULL")
        }
        migrator.registerMigration("v8-signed-rows") { db in
            // Units' rows as their owners signed them: what the config-center passes on in gossip.
            try LedgerTables.createSignedCopies(db)
            // The key a unit had before its last re-enrolment (UnitSpec.previousPublicKey).
            try db.execute(sql: "ALTER TABLE unit ADD COLUMN previous_public_key TEXT")
        }
        migrator.registerMigration("v9-token-issuer") { db in
            // The shop's identity provider (`TokenIssuer` as JSON: iss, aud, longest lifetime, its P-256 keys); one
            // at most.
            try db.execute(
                sql: """
                    CREATE TABLE token_issuer (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        settings_json TEXT NOT NULL,
                        set_ms INTEGER NOT NULL
                    )
                    """)
        }
        migrator.registerMigration("v10-sale-owners") { db in
            // The units that own a sale's buyers, per region, fixed when it opens (`SaleOwners`).
            try db.execute(
                sql: """
                    CREATE TABLE sale_owner (
                        sale_id TEXT NOT NULL,
                        region_id TEXT NOT NULL,
                        unit_id TEXT NOT NULL,
                        PRIMARY KEY (sale_id, unit_id)
                    )
                    """)
            // Sales seen open: their owners stay fixed even if their start is moved later.
            try db.execute(sql: "CREATE TABLE sale_opened (sale_id TEXT PRIMARY KEY NOT NULL, seen_ms INTEGER NOT NULL)")
        }
        migrator.registerMigration("v11-sale-retired") { db in
            // Owners the config-center retired from an open sale, per region, for the rest of the sale (`SaleRetired`).
            // `position` orders them (a view is the owners less the first n retired), so it is unique per region.
            try db.execute(
                sql: """
                    CREATE TABLE sale_retired (
                        sale_id TEXT NOT NULL,
                        region_id TEXT NOT NULL,
                        unit_id TEXT NOT NULL,
                        position INTEGER NOT NULL CHECK (position >= 0),
                        retired_ms INTEGER NOT NULL,
                        PRIMARY KEY (sale_id, region_id, unit_id)
                    );
                    CREATE UNIQUE INDEX sale_retired_position ON sale_retired(sale_id, region_id, position);
                    """)
        }
        return migrator
    }
}
