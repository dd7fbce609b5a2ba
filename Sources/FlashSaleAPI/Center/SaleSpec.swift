// A sale as an operator creates it.

public import Foundation

/// The body of `POST /v1/sales`.
public struct SaleSpec: Sendable, Codable, Equatable {
    public var id: String
    public var title: String
    public var stock: Int64
    public var startsAt: Date
    public var endsAt: Date
    public var perUserLimit: Int

    public init(id: String, title: String, stock: Int64, startsAt: Date, endsAt: Date, perUserLimit: Int = 1) {
        self.id = id
        self.title = title
        self.stock = stock
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.perUserLimit = perUserLimit
    }
}
