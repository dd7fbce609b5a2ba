// A page of a unit's ordered order log, as `GET /v1/orders?after=&count=` answers it.

/// Orders in log order, and the id to ask after next (the last one here, or the `after` asked when empty), so a
/// consumer that stores `next` once it has handled the page reads every order exactly once.
public struct OrderPage: Sendable, Codable, Equatable {
    public var orders: [OrderView]
    public var next: String?

    public init(orders: [OrderView], next: String?) {
        self.orders = orders
        self.next = next
    }
}
