// A unit database from before v8 is upgraded to the order log stored by position, with its orders and its guards.

import FlashSaleCore
import Foundation
import GRDB
import Testing
import TestSupport
@testable import UnitNode

@Suite struct OrdersByPositionTests {
    let unit = NodeID("u1")
    let terms = SaleTerms(id: "phone", title: "Phone", startsAtMs: 0, endsAtMs: 10_000_000, perUserLimit: 1)

    func id(_ seq: Int64, ms: Int64 = 1000) -> OrderID { OrderID(unit: unit, milliseconds: ms, sequence: seq) }

    /// Inserts as the group-commit writer does.
    func insert(_ id: OrderID, user: String, key: String? = nil, _ db: Database) throws {
        try OrderRecord(Order(id: id, saleID: "phone", userID: user, idempotencyKey: key)).insert(db)
    }

    /// A database at v7 (orders keyed by id) holding three orders of `phone`, one of them cancelled and one keyed.
    func databaseAtV7() throws -> (DatabasePool, String) {
        let directory = TestRun.folder + "/by-position-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let pool = try DatabasePool(path: directory + "/unit.sqlite")
        try UnitDatabase.migrator.migrate(pool, upTo: "v7-custody")
        try pool.write { db in
            try db.execute(sql: "INSERT INTO local_node (id, unit_id, region_id) VALUES (1, 'u1', 'eu')")
            try db.execute(sql: "INSERT INTO unit_stock (sale_id, per_user_limit) VALUES ('phone', 1)")
            try db.execute(sql: "INSERT INTO ledger_row (sale_id, node_id, minted) VALUES ('phone', 'center', 10)")
            try db.execute(sql: """
                INSERT INTO ledger_grant (sale_id, from_node, to_node, amount) VALUES ('phone', 'center', 'u1', 5)
                """)
            try insert(id(0), user: "a", db)
            try insert(id(1), user: "b", key: "k-1", db)
            try insert(id(2), user: "c", db)
            try db.execute(sql: "UPDATE orders SET status = 'cancelled' WHERE id = ?", arguments: [id(2).description])
        }
        return (pool, directory)
    }

    func counters(_ db: Database) throws -> [Int64] {
        let row = try #require(try Row.fetchOne(db, sql: "SELECT received, sold, released FROM unit_stock"))
        return [row["received"], row["sold"], row["released"]]
    }

    @Test func theUpgradeKeepsEveryOrderAndCountsNoneAgain() throws {
        let (pool, directory) = try databaseAtV7()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let before = try pool.read { db in (try UnitRecords.orders(after: nil, count: 10, db), try counters(db)) }
        #expect(before.1 == [5, 3, 1])

        try UnitDatabase.migrator.migrate(pool)
        try pool.read { db in
            #expect(try UnitRecords.orders(after: nil, count: 10, db) == before.0)
            #expect(try counters(db) == before.1, "the copied rows are not sold or released again")
            #expect(try UnitRecords.order(id(1), db)?.idempotencyKey == "k-1")
            let othersID = OrderID(unit: "u2", milliseconds: 1000, sequence: 1)
            #expect(try UnitRecords.order(othersID, db) == nil, "another unit's id at the same position")
            #expect(try UnitRecords.lastOrderID(unit: unit, db) == id(2))
            // Stored by position: no rowid, and no index of the ids' text.
            #expect(throws: DatabaseError.self) { try Row.fetchAll(db, sql: "SELECT rowid FROM orders") }
            let indexes = try String.fetchAll(db, sql: "SELECT name FROM pragma_index_list('orders')")
            #expect(Set(indexes) == [
                "orders_by_user", "orders_idempotency", "orders_to_expire", "sqlite_autoindex_orders_1",
            ])
            let key = try String.fetchAll(db, sql: "SELECT name FROM pragma_index_info('sqlite_autoindex_orders_1')")
            #expect(key == ["stream_ms", "stream_seq"])
        }
    }

    @Test func theUpgradedLogKeepsItsGuards() throws {
        let (pool, directory) = try databaseAtV7()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try UnitDatabase.migrator.migrate(pool)

        // Payment and expiry find orders by their ids.
        #expect(try pool.write { try UnitRecords.pay(id(0), terms: terms, nowMs: 2_000, $0) }
            == .done(Order(id: id(0), saleID: "phone", userID: "a", status: .paid), changed: true))
        let expired = try pool.write { try UnitRecords.expire(terms, nowMs: 100_000_000, limit: 10, $0) }
        #expect(expired.map(\.id) == [id(1)])
        #expect(try pool.read { try counters($0) } == [5, 3, 2])

        // A new order after them is counted; the guards of v1 and v2 refuse what they refused before.
        try pool.write { try insert(id(3), user: "d", $0) }
        #expect(try pool.read { try counters($0) } == [5, 4, 2])
        let refused: [(String, (Database) throws -> Void)] = [
            ("a second order of a buyer at the limit", { try insert(id(4), user: "a", $0) }),
            ("an order at a position already taken", { try insert(id(3), user: "e", $0) }),
            ("an order before the last", { try insert(id(9, ms: 999), user: "f", $0) }),
            ("a deleted order", { try $0.execute(sql: "DELETE FROM orders WHERE stream_seq = 0") }),
            ("a status back", { try $0.execute(sql: "UPDATE orders SET status = 'reserved' WHERE stream_seq = 0") }),
            ("another buyer", { try $0.execute(sql: "UPDATE orders SET user_id = 'z' WHERE stream_seq = 3") }),
            ("a key changed", { try $0.execute(sql: "UPDATE orders SET idempotency_key = 'x' WHERE stream_seq = 1") }),
        ]
        for (what, write) in refused {
            #expect(throws: DatabaseError.self, "\(what)") { try pool.write(write) }
        }
        #expect(try pool.read { try counters($0) } == [5, 4, 2])
        #expect(try pool.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM orders") } == 4)
    }
}
