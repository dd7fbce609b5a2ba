// A sale as the unit's desk sees it at one instant, for status answers.

import FlashSaleCore

/// A sale's terms and the stock this unit can still promise.
public struct SaleSnapshot: Sendable, Equatable {
    public let terms: SaleTerms
    public let available: Int64
}
