// SQLite itself refuses what the cache must never do: oversell, exceed the per-user limit, rewrite history.

import FlashSaleCore
import Foundation
import GRDB
import Testing
import TestSupport
@testable import UnitNode

@Suite struct DatabaseSafeguardTests {
    /// A unit database that received 2 units of `phone` from the config-center, with a per-user limit of 1.
    private func database() throws -> (DatabasePool, String) {
        let directory = TestRun.folder + "/safeguard-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let pool = try UnitDatabase.open(path: directory + "/unit.sqlite")
        try pool.write { db in
            try db.execute(sql: "INSERT INTO local_node (id, unit_id, region_id) VALUES (1, 'u1', 'eu')")
            try db.execute(sql: "INSERT INTO unit_stock (sale_id, per_user_limit) VALUES ('phone', 1)")
            try db.execute(sql: "INSERT INTO ledger_row (sale_id, node_id, minted) VALUES ('phone', 'center', 5)")
            try db.execute(sql: "INSERT INTO ledger_grant (sale_id, from_node, to_node, amount) VALUES ('phone', 'center', 'u1', 2)")
        }
        return (pool, directory)
    }

    /// Inserts as the group-commit writer does (`OrderRecord.insert`, SQLite's C API on GRDB's statement).
    private func insertOrder(_ db: Database, user: String, seq: Int64, key: String? = nil) throws {
        let id = OrderID(unit: NodeID("u1"), milliseconds: 1000, sequence: seq)
        let order = Order(id: id, saleID: "phone", userID: user, idempotencyKey: key)
        try OrderRecord(order).insert(db)
    }

    private func counters(_ pool: DatabasePool) throws -> [Int64] {
        try pool.read { db in
            let row = try #require(try Row.fetchOne(db, sql: "SELECT received, granted_out, sold, released FROM unit_stock"))
            return [row["received"], row["granted_out"], row["sold"], row["released"]]
        }
    }

    @Test func refusesAnOrderBeyondTheRightsHeld() throws {
        let (pool, directory) = try database()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(try counters(pool) == [2, 0, 0, 0])
        try pool.write { db in
            try insertOrder(db, user: "a", seq: 0)
            try insertOrder(db, user: "b", seq: 1)
        }
        #expect(throws: DatabaseError.self) { try pool.write { db in try insertOrder(db, user: "c", seq: 2) } }
        #expect(try counters(pool) == [2, 0, 2, 0])
        #expect(try pool.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM orders") } == 2)
    }

    @Test func refusesASecondOrderForOneUserBeyondTheLimit() throws {
        let (pool, directory) = try database()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try pool.write { db in try insertOrder(db, user: "a", seq: 0) }
        #expect(throws: DatabaseError.self) { try pool.write { db in try insertOrder(db, user: "a", seq: 1) } }
        #expect(try counters(pool)[2] == 1)
    }

    @Test func refusesToSellMoreAfterGrantingAway() throws {
        let (pool, directory) = try database()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try pool.write { db in try insertOrder(db, user: "a", seq: 0) }
        // Giving away 2 when 1 is left would take rights below zero.
        #expect(throws: DatabaseError.self) {
            try pool.write { db in
                try db.execute(sql: "INSERT INTO ledger_grant (sale_id, from_node, to_node, amount) VALUES ('phone', 'u1', 'u2', 2)")
            }
        }
        try pool.write { db in
            try db.execute(sql: "INSERT INTO ledger_grant (sale_id, from_node, to_node, amount) VALUES ('phone', 'u1', 'u2', 1)")
        }
        #expect(try counters(pool) == [2, 1, 1, 0])
        #expect(throws: DatabaseError.self) { try pool.write { db in try insertOrder(db, user: "b", seq: 1) } }
    }

    @Test func releasedStockCanBeSoldAgainAndHistoryIsFixed() throws {
        let (pool, directory) = try database()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try pool.write { db in
            try insertOrder(db, user: "a", seq: 0)
            try insertOrder(db, user: "b", seq: 1)
            try db.execute(sql: "UPDATE orders SET status = 'cancelled' WHERE id = 'u1-1000-0'")
        }
        #expect(try counters(pool) == [2, 0, 2, 1])
        try pool.write { db in try insertOrder(db, user: "c", seq: 2) }
        // The cancelled buyer may buy again: the limit counts orders that hold stock.
        #expect(throws: DatabaseError.self) { try pool.write { db in try insertOrder(db, user: "a", seq: 3) } }

        #expect(throws: DatabaseError.self) {
            try pool.write { db in try db.execute(sql: "UPDATE orders SET status = 'reserved' WHERE id = 'u1-1000-0'") }
        }
        #expect(throws: DatabaseError.self) {
            try pool.write { db in try db.execute(sql: "DELETE FROM orders WHERE id = 'u1-1000-1'") }
        }
        #expect(throws: DatabaseError.self) {
            try pool.write { db in try db.execute(sql: "UPDATE orders SET user_id = 'z' WHERE id = 'u1-1000-1'") }
        }
        #expect(throws: DatabaseError.self) {
            try pool.write { db in try db.execute(sql: "UPDATE unit_stock SET sold = 0") }
        }
        #expect(try counters(pool) == [2, 0, 3, 1])
    }

    /// The writer's insert stores every value as bound, reports SQLite's refusal as a constraint error with SQLite's
    /// message, and leaves its cached statement ready for the next order.
    @Test func theWritersInsertStoresWhatItBindsAndReportsRefusals() throws {
        let (pool, directory) = try database()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try pool.write { db in try insertOrder(db, user: "a", seq: 0, key: "k-\u{e9}") }
        let refusal = #expect(throws: DatabaseError.self) {
            try pool.write { db in try insertOrder(db, user: "a", seq: 1) }
        }
        #expect(refusal?.resultCode == .SQLITE_CONSTRAINT)
        #expect(refusal?.message == "per-user limit reached")
        try pool.write { db in try insertOrder(db, user: "", seq: 2) }
        let stored = try pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT id, sale_id, user_id, stream_ms, stream_seq, status, idempotency_key FROM orders ORDER BY stream_seq")
        }
        #expect(stored.count == 2)
        #expect(
            stored.first == [
                "id": "u1-1000-0", "sale_id": "phone", "user_id": "a", "stream_ms": 1000, "stream_seq": 0,
                "status": "reserved", "idempotency_key": "k-\u{e9}",
            ])
        #expect(stored.last?["user_id"] == "")
        #expect(stored.last?["idempotency_key"] == DatabaseValue.null)
    }

    @Test func refusesOrderIdsThatDoNotGrow() throws {
        let (pool, directory) = try database()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try pool.write { db in try insertOrder(db, user: "a", seq: 5) }
        #expect(throws: DatabaseError.self) { try pool.write { db in try insertOrder(db, user: "b", seq: 4) } }
    }

    @Test func refusesAnOrderForAnUnknownSaleAndLedgerEntriesThatShrink() throws {
        let (pool, directory) = try database()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(throws: DatabaseError.self) {
            try pool.write { db in
                try db.execute(sql: "INSERT INTO orders (id, sale_id, user_id, stream_ms, stream_seq) VALUES ('u1-1-0', 'tv', 'a', 1, 0)")
            }
        }
        #expect(throws: DatabaseError.self) {
            try pool.write { db in try db.execute(sql: "UPDATE ledger_grant SET amount = 1 WHERE from_node = 'center'") }
        }
        #expect(try counters(pool) == [2, 0, 0, 0])
    }

    @Test func aDataDirectoryBelongsToOneUnit() throws {
        let (pool, directory) = try database()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(throws: UnitStartupError.self) { try pool.write { db in try UnitRecords.claim(unit: "u2", region: "eu", db) } }
        _ = try pool.write { db in try UnitRecords.claim(unit: "u1", region: "eu", db) }
    }

    /// A new database recovers the unit's row before it sells, and so does a restart before that recovery finished:
    /// the flag is on the disk, not only in memory.
    @Test func aRecoveryNotFinishedGoesOnAfterARestart() throws {
        let directory = TestRun.folder + "/recovering-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let pool = try UnitDatabase.open(path: directory + "/unit.sqlite")
        #expect(try pool.write { db in try UnitRecords.claim(unit: "u1", region: "eu", db) }, "a new database recovers")
        #expect(try pool.write { db in try UnitRecords.claim(unit: "u1", region: "eu", db) }, "a restart goes on recovering")
        try pool.write(UnitRecords.finishedRecovering)
        #expect(try !pool.write { db in try UnitRecords.claim(unit: "u1", region: "eu", db) }, "recovered: it sells at once")
    }
}
