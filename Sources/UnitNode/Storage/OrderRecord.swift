// A row of the unit's `orders` table: an `Order` as it is written and read back.

import FlashSaleCore
import GRDB
import GRDBSQLite

/// The one place the unit turns an `Order` into a stored row and back: the group-commit writer inserts through it;
/// the order log, the stream, startup, payment, cancellation and expiry all read orders through it. An id or a status
/// it does not know is an error (the schema's CHECK allows none), never quietly taken for a `reserved` order.
struct OrderRecord: FetchableRecord {
    /// The columns to select for it.
    static let columns = "id, sale_id, user_id, status, idempotency_key"

    let order: Order

    init(_ order: Order) { self.order = order }

    /// Where the order `id` is: the table's key is the position the id names, and the id itself is checked, so an
    /// id of another unit at the same position matches nothing (`UnitDatabase.rebuildOrdersByPosition`).
    static let whereID = "stream_ms = ? AND stream_seq = ? AND id = ?"

    /// The values `whereID` takes for `id`.
    static func arguments(_ id: OrderID) -> StatementArguments {
        [id.milliseconds, id.sequence, id.description]
    }

    private static let insertSQL = """
        INSERT INTO orders (id, sale_id, user_id, stream_ms, stream_seq, status, idempotency_key)
        VALUES (?, ?, ?, ?, ?, ?, ?)
        """

    /// Appends the order to the log: the writer's hot path, once per order. The statement is prepared once per
    /// connection (GRDB's cache); its values are bound and it is stepped through SQLite's C API on GRDB's own
    /// statement, which GRDB documents for what it does not wrap. Its `execute(arguments:)` boxed each of the seven
    /// values and bound, checked and cleared them in generic code: about 2 % of a unit's CPU on the full path.
    func insert(_ db: Database) throws {
        let statement = try db.cachedStatement(sql: Self.insertSQL).sqliteStatement
        sqlite3_reset(statement)
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        let bound = [
            Self.bind(order.id.description, at: 1, statement),
            Self.bind(order.saleID, at: 2, statement),
            Self.bind(order.userID, at: 3, statement),
            sqlite3_bind_int64(statement, 4, order.id.milliseconds),
            sqlite3_bind_int64(statement, 5, order.id.sequence),
            Self.bind(order.status.rawValue, at: 6, statement),
            order.idempotencyKey.map { Self.bind($0, at: 7, statement) } ?? sqlite3_bind_null(statement, 7),
        ]
        // A value SQLite cannot take (too big, out of memory) fails the insert, as the step's own errors do.
        let code = bound.first { $0 != SQLITE_OK } ?? sqlite3_step(statement)
        guard code == SQLITE_DONE else {
            let message = db.sqliteConnection.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) }
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: Self.insertSQL)
        }
    }

    /// Binds `text` as parameter `index`, copied by SQLite before the call returns (`SQLITE_TRANSIENT`).
    private static func bind(_ text: String, at index: Int32, _ statement: SQLiteStatement) -> Int32 {
        var text = text
        return text.withUTF8 { bytes in
            guard let start = bytes.baseAddress else { return sqlite3_bind_text(statement, index, "", 0, transient) }
            let characters = UnsafeRawPointer(start).assumingMemoryBound(to: CChar.self)
            return sqlite3_bind_text(statement, index, characters, Int32(bytes.count), transient)
        }
    }

    /// SQLite's `SQLITE_TRANSIENT`, a macro Swift does not import (GRDB defines it the same way).
    private static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

    init(row: Row) throws {
        let text: String = row["id"]
        guard let id = OrderID(text) else { throw DatabaseError(message: "stored order id '\(text)' is not an order id") }
        let status: String = row["status"]
        guard let known = OrderStatus(rawValue: status) else {
            throw DatabaseError(message: "stored order \(text) has an unknown status '\(status)'")
        }
        order = Order(id: id, saleID: row["sale_id"], userID: row["user_id"], status: known, idempotencyKey: row["idempotency_key"])
    }
}
