// A row of the unit's `orders` table read back as an `Order`.

import FlashSaleCore
import GRDB

/// The one place the unit turns a stored order into an `Order`: the order log, the stream, startup, payment,
/// cancellation and expiry all read orders through it. An id or a status it does not know is an error (the schema's
/// CHECK allows none), never quietly taken for a `reserved` order.
struct OrderRecord: FetchableRecord {
    /// The columns to select for it.
    static let columns = "id, sale_id, user_id, status, idempotency_key"

    let order: Order

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
