// An order as the unit's HTTP API shows it.

public import FlashSaleCore
public import Foundation

/// The JSON of an order.
public struct OrderView: Sendable, Codable, Equatable {
    /// `<unit>-<ms>-<seq>`, ordered within the unit.
    public var id: String
    public var sale: String
    public var user: String
    public var unit: String
    public var status: OrderStatus
    public var createdAt: Date
    /// A reserved order expires at this time unless paid (shown when the unit knows the sale's window).
    public var payBy: Date?
    /// The order's own secret: with it (`X-Flashsale-Order-Secret`) its buyer looks the order up or cancels it
    /// without a buyer token, as a buyer of a sale without tokens must. Only the purchase's own answer (201, and its
    /// idempotent replay) carries it; nothing else shows it.
    public var orderSecret: String?

    public init(
        id: String, sale: String, user: String, unit: String, status: OrderStatus, createdAt: Date, payBy: Date? = nil
    ) {
        self.id = id
        self.sale = sale
        self.user = user
        self.unit = unit
        self.status = status
        self.createdAt = createdAt
        self.payBy = payBy
    }

    public init(_ order: Order) {
        self.init(
            id: order.id.description, sale: order.saleID, user: order.userID, unit: order.id.unit.rawValue,
            status: order.status, createdAt: Date(millisecondsSince1970: order.createdAtMs))
    }

    /// The order with its payment deadline when it is still reserved.
    public init(_ order: Order, terms: SaleTerms) {
        self.init(order)
        if order.status == .reserved {
            payBy = Date(millisecondsSince1970: terms.paymentDeadlineMs(forOrderAt: order.createdAtMs))
        }
    }
}

extension Date {
    /// Milliseconds since the Unix epoch, the core's unit of time.
    public var millisecondsSince1970: Int64 { Int64((timeIntervalSince1970 * 1000).rounded(.down)) }

    public init(millisecondsSince1970 ms: Int64) { self.init(timeIntervalSince1970: Double(ms) / 1000) }
}
