// A sale as an operator creates it.

public import FlashSaleCore
public import Foundation

/// The body of `POST /v1/sales`.
public struct SaleSpec: Sendable, Codable, Equatable {
    public var id: String
    public var title: String
    public var stock: Int64
    public var startsAt: Date
    public var endsAt: Date
    public var perUserLimit: Int
    /// Buyer filters; absent means open (anyone naming a user id may buy).
    public var admission: AdmissionRules?
    /// Seconds a buyer has to pay a reserved order (1-86400); 900 when absent.
    public var paymentWindowSeconds: Int?

    public init(
        id: String, title: String, stock: Int64, startsAt: Date, endsAt: Date, perUserLimit: Int = 1,
        admission: AdmissionRules? = nil, paymentWindowSeconds: Int? = nil
    ) {
        self.id = id
        self.title = title
        self.stock = stock
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.perUserLimit = perUserLimit
        self.admission = admission
        self.paymentWindowSeconds = paymentWindowSeconds
    }
}
