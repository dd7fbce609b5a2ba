// An order as the unit keeps it in memory, in its log and in SQLite.

/// One unit of a sale's stock held for one user.
public struct Order: Sendable, Hashable {
    public let id: OrderID
    public let saleID: String
    public let userID: String
    public var status: OrderStatus
    /// The buyer's Idempotency-Key, when the request carried one: a retry with it gets this order back.
    public let idempotencyKey: String?

    public init(id: OrderID, saleID: String, userID: String, status: OrderStatus = .reserved, idempotencyKey: String? = nil) {
        self.id = id
        self.saleID = saleID
        self.userID = userID
        self.status = status
        self.idempotencyKey = idempotencyKey
    }

    /// When the unit took it (the id's millisecond).
    public var createdAtMs: Int64 { id.milliseconds }
}
