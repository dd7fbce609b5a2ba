// A row of the unit's `orders` table: an `Order` as it is written and read back.

import FlashSaleCore
import GRDB

/// The one place the unit turns an `Order` into a stored row and back: the group-commit writer inserts through it;
/// the order log, the stream, startup, payment, cancellation and expiry all read orders through it. An id or a status
/// it does not know is an error (the schema's CHECK allows none), never quietly taken for a `reserved` order.
struct OrderRecord: FetchableRecord {
    /// The columns to select for it.
    static let columns = "id, sale_id, user_id, status, idempotency_key"

    let order: Order

    init(_ order: Order) { self.order = order }

    /// Appends the order to the log (a statement prepared once per connection: the writer's hot path).
    func insert(_ db: Database) throws {
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO orders (id, sale_id, user_id, stream_ms, stream_seq, status, idempotency_key)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """)
        try statement.execute(arguments: [
            order.id.description, order.saleID, order.userID, order.id.milliseconds, order.id.sequence,
            order.status.rawValue, order.idempotencyKey,
        ])
    }

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
