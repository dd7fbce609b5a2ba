// The config-center's witness of grants between units, as the unit keeps it and passes it on.

import FlashSaleCore
import FlashSaleStorage
import Foundation
import GRDB

extension UnitRecords {
    /// Creates `grant_witness`: per sale, the newest witness (`GrantWitness`) this unit has seen, with the
    /// config-center's signature, exactly as received. The unit passes it on in gossip, so a grant's witness reaches
    /// its receiver by any path (call from one named migration).
    static func createWitnessTable(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE grant_witness (
                sale_id TEXT PRIMARY KEY,
                witness TEXT NOT NULL,
                signature TEXT NOT NULL
            ) WITHOUT ROWID;
            """)
    }

    /// The witness kept for `saleID` and its signature; nil when none is kept, or the copy no longer decodes (the
    /// next one received replaces it).
    static func witness(saleID: String, _ db: Database) throws -> (witness: GrantWitness, signature: String)? {
        guard
            let stored = try Row.fetchOne(
                db, sql: "SELECT witness, signature FROM grant_witness WHERE sale_id = ?", arguments: [saleID])
        else { return nil }
        let text: String = stored["witness"]
        guard let witness = try? JSONDecoder().decode(GrantWitness.self, from: Data(text.utf8)) else { return nil }
        return (witness, stored["signature"])
    }

    /// Takes in `witness` (its signature checked by `GossipGate`): the grants it witnesses enter the ledger (pointwise
    /// max; all but `unit`'s own, `GrantWitness.rows(except:)`), so `unit_stock.received` follows the grants to `unit`
    /// and it may sell them; and it is kept to pass on when it adds to the copy kept. Returns the rows merged, for the
    /// purchase desk.
    static func absorb(
        _ witness: GrantWitness, signature: String, saleID: String, unit: NodeID, _ db: Database
    ) throws -> [NodeID: LedgerRow] {
        let kept = try self.witness(saleID: saleID, db)?.witness
        if kept.map({ witness.dominates($0) && witness != $0 }) ?? true {
            let text = String(decoding: try JSONEncoder().encode(witness), as: UTF8.self)
            try db.execute(
                sql: """
                    INSERT INTO grant_witness (sale_id, witness, signature) VALUES (?, ?, ?)
                    ON CONFLICT (sale_id) DO UPDATE SET witness = excluded.witness, signature = excluded.signature
                    """,
                arguments: [saleID, text, signature])
        }
        let rows = witness.rows(except: unit)
        for (from, row) in rows { try LedgerTables.merge(row, of: from, saleID: saleID, includeCounters: false, db) }
        return rows
    }
}
