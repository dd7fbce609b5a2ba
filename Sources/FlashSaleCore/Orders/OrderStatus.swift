// The lifecycle of an order: reserved, then paid, or returned to stock.

/// Where an order is in its life. Cancelled and expired orders hand their unit back to the unit's rights.
public enum OrderStatus: String, Sendable, Codable, CaseIterable {
    case reserved
    case paid
    case cancelled
    case expired

    /// The order still holds a unit of stock and counts toward its buyer's limit.
    public var holdsStock: Bool { self == .reserved || self == .paid }
}
