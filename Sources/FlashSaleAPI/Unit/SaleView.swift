// A sale as one unit (one regional endpoint) shows it to buyers.

public import Foundation

/// Status of a sale at one unit.
public struct SaleView: Sendable, Codable, Equatable {
    public var id: String
    public var title: String
    /// `scheduled`, `open`, `sold-out` or `ended`.
    public var state: String
    /// Units this unit can still sell.
    public var stockLeft: Int64
    public var perUserLimit: Int
    public var startsAt: Date
    public var endsAt: Date
    /// The unit's clock, so a buyer's page can count down without trusting its own.
    public var serverTime: Date
    /// The unit answering.
    public var unit: String
    public var region: String

    public init(
        id: String, title: String, state: String, stockLeft: Int64, perUserLimit: Int, startsAt: Date, endsAt: Date,
        serverTime: Date, unit: String, region: String
    ) {
        self.id = id
        self.title = title
        self.state = state
        self.stockLeft = stockLeft
        self.perUserLimit = perUserLimit
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.serverTime = serverTime
        self.unit = unit
        self.region = region
    }
}
