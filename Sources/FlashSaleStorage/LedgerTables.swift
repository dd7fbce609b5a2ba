// The rights ledger in SQLite: one row per (sale, node) and one per (sale, granter, grantee).

public import FlashSaleCore
import Foundation
public import GRDB

/// Stores replicas of sales' rights ledgers. Every entry only grows: writes merge by MAX, and triggers make the
/// database refuse any update that would lower an entry, so a stale copy can never undo newer knowledge.
public enum LedgerTables {
    /// Creates `ledger_row` and `ledger_grant` (call from one named migration).
    public static func create(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE ledger_row (
                sale_id TEXT NOT NULL,
                node_id TEXT NOT NULL,
                minted INTEGER NOT NULL DEFAULT 0 CHECK (minted >= 0),
                consumed INTEGER NOT NULL DEFAULT 0 CHECK (consumed >= 0),
                released INTEGER NOT NULL DEFAULT 0 CHECK (released >= 0 AND released <= consumed),
                PRIMARY KEY (sale_id, node_id)
            ) WITHOUT ROWID;
            CREATE TRIGGER ledger_row_only_grows BEFORE UPDATE ON ledger_row
            WHEN NEW.minted < OLD.minted OR NEW.consumed < OLD.consumed OR NEW.released < OLD.released
            BEGIN SELECT RAISE(ABORT, 'ledger entries only grow'); END;

            CREATE TABLE ledger_grant (
                sale_id TEXT NOT NULL,
                from_node TEXT NOT NULL,
                to_node TEXT NOT NULL,
                amount INTEGER NOT NULL CHECK (amount > 0),
                PRIMARY KEY (sale_id, from_node, to_node),
                CHECK (from_node <> to_node)
            ) WITHOUT ROWID;
            CREATE TRIGGER ledger_grant_only_grows BEFORE UPDATE ON ledger_grant
            WHEN NEW.amount < OLD.amount
            BEGIN SELECT RAISE(ABORT, 'ledger entries only grow'); END;
            """)
    }

    /// The ledger of `saleID` as stored (rows of every node, grants of every node).
    public static func load(saleID: String, _ db: Database) throws -> RightsLedger {
        var rows: [NodeID: LedgerRow] = [:]
        for row in try Row.fetchAll(
            db, sql: "SELECT node_id, minted, consumed, released FROM ledger_row WHERE sale_id = ?", arguments: [saleID])
        {
            rows[NodeID(row["node_id"])] = LedgerRow(minted: row["minted"], consumed: row["consumed"], released: row["released"])
        }
        for grant in try Row.fetchAll(
            db, sql: "SELECT from_node, to_node, amount FROM ledger_grant WHERE sale_id = ?", arguments: [saleID])
        {
            rows[NodeID(grant["from_node"]), default: LedgerRow()].grantedTo[NodeID(grant["to_node"])] = grant["amount"]
        }
        return RightsLedger(rows: rows)
    }

    /// Merges `row` of `node` into the stored ledger (pointwise max). `includeCounters: false` writes only the
    /// node's grants, for a node whose counters the database derives itself (a unit's own orders).
    public static func merge(_ row: LedgerRow, of node: NodeID, saleID: String, includeCounters: Bool = true, _ db: Database) throws {
        if includeCounters {
            try db.execute(
                sql: """
                    INSERT INTO ledger_row (sale_id, node_id, minted, consumed, released) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (sale_id, node_id) DO UPDATE SET
                        minted = MAX(minted, excluded.minted),
                        consumed = MAX(consumed, excluded.consumed),
                        released = MAX(released, excluded.released)
                    """,
                arguments: [saleID, node.rawValue, row.minted, row.consumed, row.released])
        }
        for (to, amount) in row.grantedTo where amount > 0 {
            try db.execute(
                sql: """
                    INSERT INTO ledger_grant (sale_id, from_node, to_node, amount) VALUES (?, ?, ?, ?)
                    ON CONFLICT (sale_id, from_node, to_node) DO UPDATE SET amount = MAX(amount, excluded.amount)
                    """,
                arguments: [saleID, node.rawValue, to.rawValue, amount])
        }
    }

    // MARK: Signed copies

    /// Creates `ledger_signed_row`: per (sale, node), the newest row its owner signed that this node has seen, with
    /// the signature, exactly as received (call from one named migration). It is what this node passes on to others
    /// and what a later copy of the same owner's row is compared with (`LedgerRow.succession(after:)`).
    public static func createSignedCopies(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE ledger_signed_row (
                sale_id TEXT NOT NULL,
                node_id TEXT NOT NULL,
                row TEXT NOT NULL,
                signature TEXT NOT NULL,
                PRIMARY KEY (sale_id, node_id)
            ) WITHOUT ROWID;
            """)
    }

    /// The signed copies kept for `saleID`, by owner. A copy that no longer decodes is skipped (and replaced by the
    /// next one received).
    public static func signedCopies(saleID: String, _ db: Database) throws -> [NodeID: (row: LedgerRow, signature: String)] {
        var copies: [NodeID: (row: LedgerRow, signature: String)] = [:]
        for stored in try Row.fetchAll(
            db, sql: "SELECT node_id, row, signature FROM ledger_signed_row WHERE sale_id = ?", arguments: [saleID])
        {
            let text: String = stored["row"]
            guard let row = try? JSONDecoder().decode(LedgerRow.self, from: Data(text.utf8)) else { continue }
            copies[NodeID(stored["node_id"])] = (row, stored["signature"])
        }
        return copies
    }

    /// Takes in other nodes' `rows` of `saleID`, each signed by its owner (`signatures`, checked by the caller), into
    /// `ledger` as stored, by `RowIntake`: the rows taken are kept as the signed copies this node passes on, and
    /// merged into the ledger as `receiver` may count them (`GrantWitness.withoutUnwitnessed`: at a unit, another
    /// unit's grant to it counts only once the config-center witnessed it). Returns the intake, refusals included.
    @discardableResult
    public static func absorbSigned(
        _ rows: [NodeID: LedgerRow], signatures: [NodeID: String], saleID: String, ledger: RightsLedger,
        receiver: NodeID = .center, _ db: Database
    ) throws -> RowIntake {
        let kept = try signedCopies(saleID: saleID, db).mapValues(\.row)
        let signed = rows.compactMap { node, row in signatures[node].map { (node, row, $0) } }
        let intake = RowIntake(
            Dictionary(uniqueKeysWithValues: signed.map { ($0.0, $0.1) }), kept: kept, ledger: ledger)
        for (node, row, signature) in signed where intake.taken[node] != nil {
            let text = String(decoding: try JSONEncoder().encode(row), as: UTF8.self)
            try db.execute(
                sql: """
                    INSERT INTO ledger_signed_row (sale_id, node_id, row, signature) VALUES (?, ?, ?, ?)
                    ON CONFLICT (sale_id, node_id) DO UPDATE SET row = excluded.row, signature = excluded.signature
                    """,
                arguments: [saleID, node.rawValue, text, signature])
        }
        for (node, row) in GrantWitness.withoutUnwitnessed(intake.taken, receiver: receiver) {
            try merge(row, of: node, saleID: saleID, db)
        }
        return intake
    }
}
